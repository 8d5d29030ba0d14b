// agent: OnlineDrlController — background fine-tuning, atomic publication,
// the adaptive sliding window, the safeguard, determinism of inline mode.
#include <chrono>
#include <future>
#include <thread>

#include <doctest/doctest.h>

#include "agent/actor_critic.h"
#include "agent/drl_controller.h"
#include "agent/online_drl_controller.h"
#include "agent/ppo_trainer.h"
#include "cachelib/windowed_replay.h"
#include "traces/synthetic.h"

using namespace edgecache;
using namespace edgecache::agent;

namespace {

constexpr std::uint64_t kWindow = 2'000;

std::shared_ptr<const ActorCritic> defaultModel() {
  static std::shared_ptr<const ActorCritic> model = [] {
    auto m = ActorCritic::load(defaultModelPath());
    REQUIRE_MESSAGE(m.isOk(), m.message());
    return std::shared_ptr<const ActorCritic>(std::move(m.value()));
  }();
  return model;
}

traces::SyntheticConfig smallConfig(const char* preset, std::uint64_t seed) {
  auto cfg = traces::syntheticPreset(preset).value();
  cfg.requests = 60'000;
  cfg.objects = 5'000;
  cfg.rotateEveryRequests = 10'000;
  cfg.rotateShift = 500;
  cfg.seed = seed;
  return cfg;
}

// Few what-if capacities keep the fine-tunes' replays fast; `sampling` 1
// (every key) keeps the drift signal of 2 000-request windows as steady as
// the presets' 10 000-request windows at 10 %.
cachelib::ReplayEnvConfig envFor(const std::vector<cachelib::Request>& requests, double sampling = 0.1) {
  EnvSettings s;
  s.windowRequests = kWindow;
  s.gridPoints = 5;
  auto env = makeEnvConfig(requests, s);
  env.context.window.samplingRate = sampling;
  return env;
}

// A fine-tune small enough for unit tests.
OnlineDrlController::Options quickOptions() {
  OnlineDrlController::Options o;
  o.fineTune.updates = 1;
  o.fineTune.episodesPerUpdate = 1;
  o.fineTune.ppo.epochs = 2;
  o.seed = 5;
  return o;
}

// Every window's features (and requests) of `requests` replayed under a fixed decision.
struct Windows {
  std::vector<cachelib::WindowFeatures> features;
  std::vector<std::vector<cachelib::Request>> requests;
};
Windows windowsOf(const std::vector<cachelib::Request>& requests, const cachelib::ReplayEnvConfig& env) {
  Windows w;
  cachelib::WindowedReplay replay(requests, env);
  const cachelib::Decision d = initialDecision(env.context);
  while (!replay.done()) {
    const auto next = replay.nextWindow();
    w.requests.emplace_back(next.begin(), next.end());
    (void)replay.step(d);
    w.features.push_back(replay.features());
  }
  return w;
}

}  // namespace

TEST_CASE("online: decisions continue from the published model while a fine-tune is held; publish is atomic") {
  const auto trace = traces::generateSynthetic(smallConfig("rotating", 3));
  const auto env = envFor(trace);
  const auto windows = windowsOf(trace, env);
  REQUIRE(windows.features.size() >= 20);

  std::promise<void> entered, release;
  auto released = release.get_future().share();
  auto options = quickOptions();
  options.retrainEveryWindows = 0;                                        // only requestFineTune()
  options.fineTune.publishTolerance = std::numeric_limits<double>::infinity();  // always publish
  options.onFineTuneStart = [&entered, released] {
    entered.set_value();
    released.wait();
  };
  const auto original = defaultModel();
  OnlineDrlController online(original, "default.ecdrl", options);
  DrlController frozen(original, "default.ecdrl", {});
  (void)online.start(env.context);
  (void)frozen.start(env.context);
  for (std::size_t i = 0; i < 10; ++i) online.observe(windows.requests[i]);
  REQUIRE(online.requestFineTune());
  entered.get_future().wait();  // the trainer is now inside the fine-tune, held
  CHECK(online.fineTuneRunning());
  CHECK_FALSE(online.requestFineTune());  // one at a time: the second is skipped, not queued
  CHECK(online.stats().skipped == 1);

  double worstMs = 0.0;
  for (std::size_t i = 0; i < 10; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const cachelib::Decision d = online.decide(windows.features[i]);
    worstMs = std::max(worstMs, std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    CHECK(d == frozen.decide(windows.features[i]));  // still the published (original) model
  }
  MESSAGE("slowest decision while a fine-tune is held: " << worstMs << " ms");
  CHECK(worstMs < 1'000.0);  // returns at all (it would hang if it waited); typically < 1 ms
  CHECK(online.modelVersion() == 0);
  CHECK(online.publishedModel() == original);

  release.set_value();
  online.waitIdle();
  CHECK_FALSE(online.fineTuneRunning());
  CHECK(online.stats().published == 1);
  CHECK(online.modelVersion() == 1);
  const auto published = online.publishedModel();
  REQUIRE(published != nullptr);
  CHECK(published != original);
  // From now on every decision is the new model's, as a frozen controller on it decides.
  DrlController onNew(published, "new", {});
  (void)onNew.start(env.context);
  for (std::size_t i = 0; i < 10; ++i) (void)onNew.decide(windows.features[i]);  // same encoder history
  for (std::size_t i = 10; i < 20; ++i) CHECK(online.decide(windows.features[i]) == onNew.decide(windows.features[i]));
  CHECK(online.lastError().empty());
}

TEST_CASE("online: destruction while a fine-tune runs is clean and prompt") {
  const auto trace = traces::generateSynthetic(smallConfig("stationary", 4));
  const auto env = envFor(trace);
  const auto windows = windowsOf(trace, env);
  std::promise<void> entered;
  auto options = quickOptions();
  options.retrainEveryWindows = 0;
  options.fineTune.updates = 50;  // long enough that the destructor interrupts it
  options.fineTune.episodesPerUpdate = 4;
  bool once = false;
  options.onFineTuneStart = [&] {
    if (!once) entered.set_value();
    once = true;
  };
  auto online = std::make_unique<OnlineDrlController>(defaultModel(), "default.ecdrl", options);
  (void)online->start(env.context);
  for (std::size_t i = 0; i < 16; ++i) online->observe(windows.requests[i]);
  REQUIRE(online->requestFineTune());
  entered.get_future().wait();
  std::this_thread::yield();
  const auto t0 = std::chrono::steady_clock::now();
  online.reset();  // stops the fine-tune between replay windows and joins
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("destructor returned after " << ms << " ms");
  CHECK(ms < 5'000.0);  // a full fine-tune of this size takes far longer

  // A controller that never fine-tuned is clean too.
  { OnlineDrlController idle(defaultModel(), "default.ecdrl", quickOptions()); }
}

TEST_CASE("online: W grows while the workload is stationary and drops to the minimum after a drift alarm") {
  // Phase A: 5 000 objects; phase B: a disjoint, 8x larger catalogue (the
  // miss ratio at any fixed capacity jumps).
  auto a = traces::generateSynthetic(smallConfig("stationary", 6));
  auto cfgB = smallConfig("stationary", 7);
  cfgB.objects = 40'000;
  auto b = traces::generateSynthetic(cfgB);
  std::vector<cachelib::Request> trace = a;
  const double shift = a.back().timeSeconds;
  for (auto r : b) {
    r.key += 1ull << 40;
    r.timeSeconds += shift;
    trace.push_back(r);
  }
  const std::size_t changeWindow = a.size() / kWindow;  // first window of phase B
  const auto env = envFor(trace, 1.0);

  auto options = quickOptions();
  options.inlineFineTune = true;
  options.retrainEveryWindows = 2;
  OnlineDrlController online(defaultModel(), "default.ecdrl", options);
  cachelib::WindowedReplay replay(trace, env);
  cachelib::Decision d = online.start(env.context);
  const std::uint64_t minW = 4 * kWindow, maxW = 32 * kWindow;
  CHECK(online.stats().windowRequests == 8 * kWindow);
  std::vector<OnlineStats> after;  // after the decide() of window i
  while (!replay.done()) {
    const auto w = replay.nextWindow();
    (void)replay.step(d);
    if (replay.done()) break;
    online.observe(w);
    d = online.decide(replay.features());
    after.push_back(online.stats());
  }
  REQUIRE(after.size() > changeWindow + 5);
  // Phase A: no alarm, W doubles every R windows up to the maximum.
  CHECK(after[changeWindow - 1].drifts == 0);
  CHECK(after[changeWindow - 1].windowRequests == maxW);
  for (std::size_t i = 1; i < changeWindow; ++i) CHECK(after[i].windowRequests >= after[i - 1].windowRequests);
  // Phase B: the detector fires within a few windows and W drops to the minimum.
  std::size_t alarm = 0;
  for (std::size_t i = changeWindow; i < after.size() && alarm == 0; ++i)
    if (after[i].drifts > after[i - 1].drifts) alarm = i;
  REQUIRE(alarm > 0);
  MESSAGE("drift alarm " << alarm - changeWindow << " windows after the change");
  CHECK(alarm <= changeWindow + 4);
  CHECK(after[alarm].windowRequests == minW);
  // ...and grows again once the new phase is stationary.
  CHECK(after.back().windowRequests > minW);
  CHECK(after.back().published + after.back().rejected >= 5);
  CHECK(after.back().failed == 0);
}

TEST_CASE("online: a fine-tune replays in the live windows' length, not the configured one") {
  // The proxy's control loop also closes a window by time, so a live window
  // can hold fewer requests than the context's window.requests; the
  // fine-tune must replay the requests in windows like those it decided on.
  auto trace = traces::generateSynthetic(smallConfig("stationary", 11));
  const auto env = envFor(trace);  // window.requests = kWindow
  constexpr std::uint64_t kLive = kWindow / 4;
  auto liveEnv = env;
  liveEnv.context.window.requests = kLive;  // how the caller really cut the windows

  auto options = quickOptions();
  options.inlineFineTune = true;
  options.retrainEveryWindows = 0;  // only requestFineTune()
  OnlineDrlController online(defaultModel(), "default.ecdrl", options);
  (void)online.start(env.context);
  cachelib::WindowedReplay replay(trace, liveEnv);
  cachelib::Decision d = initialDecision(env.context);
  for (int i = 0; i < 40 && !replay.done(); ++i) {
    const auto w = replay.nextWindow();
    (void)replay.step(d);
    online.observe(w);
    d = online.decide(replay.features());
  }
  CHECK(online.stats().replayWindowRequests == 0);  // no fine-tune yet
  REQUIRE(online.requestFineTune());
  const OnlineStats s = online.stats();
  CHECK(s.replayWindowRequests == kLive);
  // W (in configured windows' requests; 8 at the start, 4 after a drift
  // alarm) means that many live windows, not that many configured ones.
  const std::uint64_t windows = s.windowRequests / kWindow;
  CHECK(windows >= 4);
  CHECK(s.replayRequests == windows * kLive);
  CHECK(s.published + s.rejected == 1);
  CHECK(online.summary().find("last replay: " + std::to_string(windows * kLive) + " requests in live windows of 500") !=
        std::string::npos);

  // A caller whose windows match the context replays as configured (the
  // bench's simulator): the summary says nothing more.
  OnlineDrlController same(defaultModel(), "default.ecdrl", options);
  (void)same.start(env.context);
  cachelib::WindowedReplay full(trace, env);
  d = initialDecision(env.context);
  for (int i = 0; i < 12 && !full.done(); ++i) {
    const auto w = full.nextWindow();
    (void)full.step(d);
    same.observe(w);
    d = same.decide(full.features());
  }
  REQUIRE(same.requestFineTune());
  CHECK(same.stats().replayWindowRequests == kWindow);
  CHECK(same.stats().replayRequests == 8 * kWindow);
  CHECK(same.summary().find("live windows") == std::string::npos);
}

TEST_CASE("online: inline fine-tuning is deterministic for a seed and never publishes a worse model") {
  const auto trace = traces::generateSynthetic(smallConfig("rotating", 8));
  const auto env = envFor(trace);
  auto run = [&](std::uint64_t seed) {
    auto options = quickOptions();
    options.inlineFineTune = true;
    options.seed = seed;
    options.fineTune.updates = 2;
    auto c = std::make_unique<OnlineDrlController>(defaultModel(), "default.ecdrl", options);
    auto result = cachelib::runControlled(trace, *c, env);
    return std::make_pair(std::move(c), std::move(result));
  };
  auto [c1, r1] = run(5);
  auto [c2, r2] = run(5);
  const OnlineStats s = c1->stats();
  MESSAGE(c1->summary());
  CHECK(s.published + s.rejected >= 5);
  CHECK(s.failed == 0);
  CHECK(s.skipped == 0);  // inline: never busy
  CHECK(c2->stats().published == s.published);
  CHECK(c2->stats().rejected == s.rejected);
  REQUIRE(r1.windows.size() == r2.windows.size());
  for (std::size_t i = 0; i < r1.windows.size(); ++i) CHECK(r1.windows[i].decision == r2.windows[i].decision);
  CHECK(r1.cost.total() == r2.cost.total());
  const auto m1 = c1->publishedModel()->toModelFile({}), m2 = c2->publishedModel()->toModelFile({});
  REQUIRE(m1.tensors.size() == m2.tensors.size());
  for (std::size_t i = 0; i < m1.tensors.size(); ++i) CHECK(m1.tensors[i].values == m2.tensors[i].values);
  CHECK(c1->summary().find("inline") != std::string::npos);

  // The safeguard, directly: a candidate is published only if it is not
  // worse than the current model on its own window.
  const std::vector<cachelib::Request> window(trace.begin(), trace.begin() + 16 * kWindow);
  auto shared = std::make_shared<const std::vector<cachelib::Request>>(window);
  FineTuneConfig ft;
  ft.updates = 2;
  for (std::uint64_t seed : {1, 2, 3}) {
    const FineTuneResult r = fineTuneOnWindow(*defaultModel(), shared, env, ft, seed);
    CAPTURE(seed);
    REQUIRE(r.error.empty());
    if (r.outcome == FineTuneResult::Outcome::kPublished) {
      CHECK(r.candidate != nullptr);
      CHECK(r.candidateCostDollars <= r.currentCostDollars);
    } else {
      CHECK(r.outcome == FineTuneResult::Outcome::kRejected);
      CHECK(r.candidateCostDollars > r.currentCostDollars);
      CHECK(r.candidate == nullptr);
    }
  }
  // Bad input never crashes.
  CHECK(fineTuneOnWindow(*defaultModel(), nullptr, env, ft, 1).outcome == FineTuneResult::Outcome::kFailed);
  CHECK(fineTuneOnWindow(*defaultModel(), std::make_shared<const std::vector<cachelib::Request>>(), env, ft, 1).outcome ==
        FineTuneResult::Outcome::kFailed);
}

TEST_CASE("request ring: the newest n requests, oldest first, across chunk boundaries") {
  const std::size_t chunk = RequestRing::kChunk;
  RequestRing ring(3 * chunk + 100);
  auto req = [](std::uint64_t i) { return cachelib::Request{double(i), i, i + 1, 7}; };
  CHECK(ring.size() == 0);
  CHECK(ring.last(10).assemble().empty());
  std::uint64_t pushed = 0;
  for (std::size_t total : {std::size_t(5), chunk - 1, chunk, chunk + 1, 3 * chunk + 100, 5 * chunk + 17, 9 * chunk}) {
    for (; pushed < total; ++pushed) ring.push(req(pushed));
    CAPTURE(total);
    CHECK(ring.size() == std::min<std::size_t>(total, 3 * chunk + 100));
    for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(3), chunk - 1, chunk, chunk + 1, 2 * chunk + 5,
                          3 * chunk + 100, 10 * chunk}) {
      CAPTURE(n);
      const auto w = ring.last(n).assemble();
      const std::size_t expect = std::min(n, ring.size());
      REQUIRE(w.size() == expect);
      bool inOrder = true;
      for (std::size_t i = 0; i < w.size(); ++i) {
        const std::uint64_t key = total - expect + i;
        inOrder = inOrder && w[i].key == key && w[i].sizeBytes == key + 1 && w[i].timeSeconds == double(key) &&
                  w[i].nextAccessIndex == cachelib::kNoNextAccess;
      }
      CHECK(inOrder);
    }
  }
}
