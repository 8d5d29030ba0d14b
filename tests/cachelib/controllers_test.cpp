// Each controller on a crafted trace where the right move is known.

#include <doctest/doctest.h>

#include <numeric>
#include <random>

#include "cachelib/controllers/controller_factory.h"
#include "cachelib/controllers/oracle_controller.h"
#include "cachelib/controllers/strategy_only_controller.h"
#include "cachelib/controllers/static_controller.h"
#include "cachelib/policy_registry.h"
#include "cachelib/windowed_replay.h"
#include "traces/synthetic.h"

using namespace edgecache;
using namespace edgecache::cachelib;

namespace {

std::unique_ptr<Controller> make(const std::string& spec) {
  auto c = makeController(spec);
  REQUIRE_MESSAGE(c.isOk(), c.message());
  return std::move(c.value());
}

PolicyId idOf(const char* name) { return findPolicy(name)->id; }

// A request every `gapSeconds`, key and size given.
void add(std::vector<Request>& out, std::uint64_t key, std::uint64_t size, double gapSeconds = 0.01) {
  Request r;
  r.key = key;
  r.sizeBytes = size;
  r.timeSeconds = out.empty() ? 0.0 : out.back().timeSeconds + gapSeconds;
  out.push_back(r);
}

ReplayEnvConfig envFor(std::uint64_t floor, std::uint64_t ceiling, std::uint64_t window, std::size_t gridPoints) {
  ReplayEnvConfig env;
  env.context.floorBytes = floor;
  env.context.ceilingBytes = ceiling;
  env.context.window.requests = window;
  env.context.window.samplingRate = 1.0;
  env.context.window.capacityGrid = geometricGrid(floor, ceiling, gridPoints);
  env.context.window.firstWindowShare = 1.0;  // equal windows: the tests below count them
  return env;
}

// The request count of every window a static decision replays.
std::vector<std::uint64_t> windowSizes(const std::vector<Request>& reqs, const ReplayEnvConfig& env) {
  WindowedReplay replay(reqs, env);
  std::vector<std::uint64_t> sizes;
  while (!replay.done()) sizes.push_back(replay.step(Decision{10, 0}).requests);
  return sizes;
}

// 5000 objects of 100 kB, 100 requests per second.
std::vector<Request> chunkTrace(std::uint64_t requests) {
  traces::SyntheticConfig cfg;
  cfg.requests = requests;
  cfg.objects = 5'000;
  cfg.sizeModel = traces::SizeModel::kFixedChunk;
  cfg.chunkBytes = 100'000;
  cfg.meanRequestsPerSecond = 100;
  cfg.rateAmplitude = 0;
  return traces::generateSynthetic(cfg);
}

}  // namespace

TEST_CASE("factory: specs build the named controllers, bad specs are explained") {
  CHECK(make("static:lru:1GiB")->name() == "static:lru:1GiB");
  CHECK(make("size-only")->name() == "size-only:lru");
  CHECK(make("size-only:s3fifo")->name() == "size-only:s3fifo");
  CHECK(make("joint-greedy")->name() == "joint-greedy");
  CHECK(make("oracle")->name() == "oracle");
  for (const char* bad : {"", "static:lru", "static:nope:1GiB", "static:lru:huge", "size-only:belady", "strategy-only:x",
                          "drl-nope", "oracle:1"}) {
    CAPTURE(bad);
    auto c = makeController(bad);
    CHECK_FALSE(c.isOk());
    CHECK(c.message().find("accepted:") != std::string::npos);
  }
}

TEST_CASE("factory: a live controller (the proxy's) refuses what only an offline replay can run") {
  // Replay accepts the hindsight oracle and a static Belady bound...
  CHECK(makeController("oracle").isOk());
  CHECK(makeController("static:belady:1GiB").isOk());
  // ...a live proxy cannot: the oracle needs the next window, Belady each request's next access.
  auto oracle = makeController("oracle", ControllerUse::kLive);
  REQUIRE_FALSE(oracle.isOk());
  CHECK(oracle.message().find("offline only") != std::string::npos);
  CHECK(oracle.message().find(", oracle") == std::string::npos);  // not offered among the accepted forms
  auto belady = makeController("static:belady:1GiB", ControllerUse::kLive);
  REQUIRE_FALSE(belady.isOk());
  CHECK(belady.message().find("'belady' is an offline bound") != std::string::npos);
  for (const char* live : {"static:lru:1GiB", "size-only", "strategy-only", "joint-greedy"}) {
    CAPTURE(live);
    CHECK(makeController(live, ControllerUse::kLive).isOk());
  }
}

TEST_CASE("windowed replay: window costs add up, resizes are charged, decisions are clamped") {
  std::vector<Request> reqs;
  for (int i = 0; i < 10'000; ++i) add(reqs, std::uint64_t(i % 300), 1000, 0.1);
  ReplayEnvConfig env = envFor(10'000, 1'000'000, 1000, 4);
  env.context.prices.dollarsPerResize = 0.25;
  WindowedReplay replay(reqs, env);
  double sum = 0;
  int steps = 0;
  while (!replay.done()) {
    // Alternate between two capacities, one of them out of range.
    const Decision d{steps % 2 == 0 ? 50'000u : 5'000'000u, 0};
    const WindowRecord w = replay.step(d);
    CHECK(w.decision.capacityBytes == (steps % 2 == 0 ? 50'000u : 1'000'000u));
    CHECK(w.requests == 1000);
    sum += w.cost.total();
    ++steps;
  }
  CHECK(steps == 10);
  CHECK(replay.meter().resizes() == 9);  // the first decision is provisioning, not a change
  CHECK(replay.meter().cost(env.context.prices).total() == doctest::Approx(sum));
  CHECK(replay.meter().cost(env.context.prices).resize == doctest::Approx(9 * 0.25));
}

TEST_CASE("windows by trace seconds; the first window is the configured share of the others") {
  std::vector<Request> reqs;
  for (int i = 0; i < 1000; ++i) add(reqs, std::uint64_t(i), 1, 0.5);  // 500 s of trace
  ReplayEnvConfig env = envFor(1, 100, 100, 2);
  env.context.window.seconds = 60;
  const auto sizes = windowSizes(reqs, env);
  CHECK(sizes.size() == 9);  // 8 full minutes and a 20 s tail
  CHECK(sizes.front() == 120);
  CHECK(std::accumulate(sizes.begin(), sizes.end(), std::uint64_t{0}) == 1000);

  env.context.window.firstWindowShare = 0.1;
  const auto bySeconds = windowSizes(reqs, env);
  CHECK(bySeconds.front() == 12);  // 6 s at 2 requests per second
  CHECK(bySeconds[1] == 120);
  env.context.window.seconds = 0;  // by requests (100 per window)
  const auto byCount = windowSizes(reqs, env);
  REQUIRE(byCount.size() == 11);  // 10, then ten of 100 (the last one 90)
  CHECK(byCount[0] == 10);
  CHECK(byCount[1] == 100);
  CHECK(byCount.back() == 90);
  // The controller's first decision therefore rules a tenth of a window.
  auto c = make("joint-greedy");
  const ControlledResult r = runControlled(reqs, *c, env);
  CHECK(r.windows.size() == 11);
  CHECK(r.decisions == 10);
}

TEST_CASE("size-only grows the cache when egress is expensive and shrinks it when it is cheap") {
  const auto reqs = chunkTrace(100'000);
  ReplayEnvConfig env = envFor(5'000'000, 500'000'000, 5000, 10);
  auto meanCapacity = [&](double egressPrice) {
    env.context.prices.dollarsPerGbEgress = egressPrice;
    auto c = make("size-only");
    return runControlled(reqs, *c, env).meanCapacityBytes;
  };
  const double cheap = meanCapacity(0.000001);
  const double expensive = meanCapacity(0.5);
  MESSAGE("mean capacity: cheap egress " << cheap << " B, expensive egress " << expensive << " B");
  CHECK(cheap < 20e6);
  CHECK(expensive > 300e6);
}

TEST_CASE("strategy-only leaves LRU when a scan phase starts") {
  // Phase 1: a hot set of 100 unit objects. Phase 2: every hot request is
  // followed by a never-repeated scan key, which flushes LRU but not the
  // scan-resistant policies.
  std::vector<Request> reqs;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20'000; ++i) add(reqs, rng() % 100, 1);
  std::uint64_t scanKey = 1'000'000;
  for (int i = 0; i < 40'000; ++i) {
    add(reqs, rng() % 100, 1);
    add(reqs, scanKey++, 1);
  }
  ReplayEnvConfig env = envFor(100, 200, 2000, 5);
  for (const char* mode : {"greedy", "experts"}) {
    CAPTURE(mode);
    auto c = make(std::string("strategy-only:") + mode + ":150");
    const ControlledResult r = runControlled(reqs, *c, env);
    REQUIRE(r.windows.size() == 50);
    CHECK(r.windows[5].decision.policy == idOf("lru"));  // nothing to gain in phase 1
    const PolicyId late = r.windows.back().decision.policy;
    CHECK(late != idOf("lru"));
    CHECK(late != idOf("fifo"));
    // And it pays off against staying on LRU.
    StaticController lru(Decision{150, idOf("lru")});
    CHECK(r.stats.hits > runControlled(reqs, lru, env).stats.hits);
  }
}

TEST_CASE("joint-greedy and the oracle follow a phase change in working-set size") {
  // Phase 1: 50 hot objects of 1 MB; phase 2: 2000 hot objects of 1 MB.
  std::vector<Request> reqs;
  std::mt19937_64 rng(5);
  for (int i = 0; i < 30'000; ++i) add(reqs, rng() % 50, 1'000'000);
  for (int i = 0; i < 60'000; ++i) add(reqs, 1000 + rng() % 2000, 1'000'000);
  ReplayEnvConfig env = envFor(10'000'000, 8'000'000'000, 5000, 16);
  for (const char* spec : {"joint-greedy", "oracle"}) {
    CAPTURE(spec);
    auto c = make(spec);
    const ControlledResult r = runControlled(reqs, *c, env);
    REQUIRE(r.windows.size() == 18);
    CHECK(r.windows[4].decision.capacityBytes < 500'000'000);      // late phase 1: small is enough
    CHECK(r.windows.back().decision.capacityBytes >= 2'000'000'000);  // late phase 2: holds the new hot set
  }
}

TEST_CASE("runControlled feeds observe() every window's requests, in order, before its decide()") {
  // Records what it is shown; decides nothing new.
  struct Recorder final : Controller {
    std::vector<std::uint64_t> keys;
    std::vector<std::size_t> seenAtDecide;
    std::string name() const override { return "recorder"; }
    Decision start(const ControlContext& c) override { return Decision{c.floorBytes, idOf("lru")}; }
    void observe(std::span<const Request> requests) override {
      for (const auto& r : requests) keys.push_back(r.key);
    }
    Decision decide(const WindowFeatures& f) override {
      seenAtDecide.push_back(keys.size());
      return Decision{f.capacityBytes, f.policy};
    }
  } recorder;
  std::vector<Request> trace;
  for (std::uint64_t i = 0; i < 95; ++i) add(trace, i % 7, 10);
  const auto result = runControlled(trace, recorder, envFor(100, 1000, 10, 4));
  CHECK(result.decisions == 9);  // 10 windows, no decision after the last
  REQUIRE(recorder.keys.size() == 90);
  for (std::size_t i = 0; i < recorder.keys.size(); ++i) CHECK(recorder.keys[i] == i % 7);
  REQUIRE(recorder.seenAtDecide.size() == 9);
  for (std::size_t w = 0; w < 9; ++w) CHECK(recorder.seenAtDecide[w] == 10 * (w + 1));
  CHECK(recorder.summary().empty());
}

TEST_CASE("oracle: a candidate is replayed as the replay applies it (resize by the old policy, then switch)") {
  // The live cache (LRU, 8 B) holds S1, S2 (1 B each) and X (6 B), S1 the
  // least recent. The next window asks for S1 once. Shrinking to 7 B and
  // switching to GDSF, WindowedReplay::step() resizes first: LRU evicts S1,
  // so the window misses 1 B. Switching first would let GDSF evict X (its
  // lowest frequency/size) and keep S1: a hit the replay never gets.
  auto made = Cache::create(CacheConfig{8, idOf("lru"), 0});
  REQUIRE(made.isOk());
  Cache& live = *made.value();
  std::vector<Request> warm;
  add(warm, 1, 1);
  add(warm, 2, 1);
  add(warm, 3, 6);
  for (const Request& r : warm) (void)live.access(r);
  std::vector<Request> next;
  add(next, 1, 1);

  ControlContext ctx;
  ctx.floorBytes = 7;
  ctx.ceilingBytes = 10;  // start(): sqrt(7 x 10) -> 8 B, the live capacity
  ctx.window.capacityGrid = {7, 10};
  ctx.window.shadowPolicies = {idOf("lru"), idOf("gdsf")};
  OracleController oracle;
  REQUIRE(oracle.start(ctx) == Decision{8, idOf("lru")});
  // Rental of a byte for a second is ~1e-14 $, egress of a byte ~1e-10 $:
  // the 1 B miss decides. (7, gdsf) really costs that miss; 8 B keeps S1.
  const Decision d = oracle.decideWithHindsight(WindowFeatures{}, Hindsight{&live, next, 1.0});
  CHECK(d == Decision{8, idOf("lru")});
}

TEST_CASE("size-only and joint-greedy weigh the resize fee against the estimated saving") {
  // The same trace as above at expensive egress: both controllers move away
  // from their starting capacity when changes are free. At $1000 a change
  // no window's estimated saving (cents) pays for one: they must stay.
  const auto reqs = chunkTrace(40'000);
  ReplayEnvConfig env = envFor(5'000'000, 500'000'000, 5000, 10);
  env.context.prices.dollarsPerGbEgress = 0.5;
  for (const std::string spec : {"size-only", "joint-greedy"}) {
    CAPTURE(spec);
    env.context.prices.dollarsPerResize = 0.0;
    auto free = make(spec);
    CHECK(runControlled(reqs, *free, env).meter.resizes() > 0);
    env.context.prices.dollarsPerResize = 1000.0;
    auto costly = make(spec);
    const ControlledResult r = runControlled(reqs, *costly, env);
    CHECK(r.meter.resizes() == 0);
    CHECK(r.cost.resize == 0.0);
  }
}

TEST_CASE("strategy-only experts: a window every policy loses entirely leaves the weights usable") {
  // exp(-learningRate x loss) underflows to 0 for every policy when all lose
  // everything at a steep learning rate; the weights must not become 0/0.
  StrategyOnlyController::Options o;
  o.mode = StrategyOnlyController::Mode::kExperts;
  o.capacityBytes = 100;
  o.learningRate = 1000.0;
  StrategyOnlyController experts(o);
  ControlContext ctx;
  ctx.floorBytes = 10;
  ctx.ceilingBytes = 1000;
  REQUIRE(experts.start(ctx).policy == idOf("lru"));
  WindowFeatures f;
  f.index = 0;
  f.requests = 100;
  f.bytes = 100;
  f.sampledRequests = 100;
  f.policies = {idOf("lru"), idOf("fifo"), idOf("gdsf")};
  f.capacities = {100};
  f.hitRatio = f.byteHitRatio = {0.0, 0.0, 0.0};
  (void)experts.decide(f);
  // Then GDSF alone hits: the mixture must follow it.
  f.byteHitRatio = {0.0, 0.0, 0.9};
  Decision d;
  for (int w = 0; w < 5; ++w) d = experts.decide(f);
  CHECK(d.policy == idOf("gdsf"));
  CHECK(d.capacityBytes == 100);
}

TEST_CASE("every controller's first decision is within [floor, ceiling]; a floor above the ceiling wins") {
  // The interface's contract; the replay and the proxy apply a floor above
  // the ceiling as the floor, so that is what a controller must say too.
  for (const std::string spec : {"static:lru:5000", "static:lru:10", "size-only", "strategy-only", "strategy-only:5000",
                                 "strategy-only:experts:10", "joint-greedy", "oracle"}) {
    CAPTURE(spec);
    ControlContext ctx;
    ctx.floorBytes = 100;
    ctx.ceilingBytes = 1000;
    const Decision in = make(spec)->start(ctx);
    CHECK(in.capacityBytes >= 100);
    CHECK(in.capacityBytes <= 1000);
    ctx.floorBytes = 1000;
    ctx.ceilingBytes = 100;
    CHECK(make(spec)->start(ctx).capacityBytes == 1000);
  }
}

TEST_CASE("without timestamps every request takes 1/rate seconds, the last window's last one too") {
  // 10 requests at 1 per second: 10 s of trace, two windows of 5 s. The
  // last window ended at its last request's time (4 s, then 1.25 req/s), and
  // a one-request trace was charged no rental at all.
  std::vector<Request> reqs;
  for (int i = 0; i < 10; ++i) add(reqs, std::uint64_t(i), 1000, 0.0);
  ReplayEnvConfig env = envFor(1'000'000'000, 1'000'000'000, 5, 2);
  env.requestRate = 1.0;
  WindowedReplay replay(reqs, env);
  const WindowRecord first = replay.step(Decision{1'000'000'000, 0});
  CHECK(first.endSeconds - first.startSeconds == 5.0);
  const WindowRecord last = replay.step(Decision{1'000'000'000, 0});
  CHECK(last.startSeconds == 5.0);
  CHECK(last.endSeconds == 10.0);
  CHECK(replay.features().durationSeconds == 5.0);
  CHECK(replay.features().requestsPerSecond == 1.0);
  CHECK(replay.meter().heldMicros() == 10'000'000);
  // 1 GB for 10 s at $0.015/GB-hour.
  CHECK(replay.meter().cost(env.context.prices).rental == doctest::Approx(0.015 * 10 / 3600));

  const std::vector<Request> one(reqs.begin(), reqs.begin() + 1);
  WindowedReplay single(one, env);
  (void)single.step(Decision{1'000'000'000, 0});
  CHECK(single.meter().heldMicros() == 1'000'000);
}

TEST_CASE("a window without a sampled request is no evidence: the controllers keep their decision") {
  // 50 keys of 1 MB in a loop, none of them in the 1% sample. The what-if
  // ratios of such a window are misses / expected sample = 0 / 1: "every
  // capacity hits everything", which sent size-only and joint-greedy to the
  // floor, where this loop misses every request.
  const std::uint32_t threshold = sampleThreshold(0.01);
  std::vector<std::uint64_t> keys;
  for (std::uint64_t k = 1; keys.size() < 50; ++k)
    if (sampleHash(k) >= threshold) keys.push_back(k);
  std::vector<Request> reqs;
  for (int i = 0; i < 2000; ++i) add(reqs, keys[std::size_t(i) % keys.size()], 1'000'000);
  ReplayEnvConfig env = envFor(1'000'000, 100'000'000, 100, 8);
  env.context.window.samplingRate = 0.01;
  env.context.prices.dollarsPerGbEgress = 1.0;
  for (const std::string spec : {"size-only", "joint-greedy", "strategy-only", "strategy-only:experts"}) {
    CAPTURE(spec);
    auto c = make(spec);
    const ControlledResult r = runControlled(reqs, *c, env);
    REQUIRE(r.windows.size() == 20);
    for (const WindowRecord& w : r.windows) CHECK(w.decision == r.windows.front().decision);
  }
}
