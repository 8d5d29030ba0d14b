// agent: randomised training workloads, trace segments, held-out folds and
// the baseline reward unit.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <doctest/doctest.h>

#include "agent/model_file.h"
#include "agent/ppo_trainer.h"
#include "agent/training_workloads.h"
#include "traces/synthetic.h"

using namespace edgecache;
using namespace edgecache::agent;

TEST_CASE("sampleWorkload: seeded, inside the ranges, drift kept and rescaled, spans the cost-curve regimes") {
  const auto rotating = traces::syntheticPreset("rotating").value();
  const WorkloadRandomization r;
  const auto a = sampleWorkload(rotating, r, 17);
  const auto b = sampleWorkload(rotating, r, 17);
  CHECK(a.config.seed == b.config.seed);
  CHECK(a.config.requests == b.config.requests);
  CHECK(a.config.meanRequestsPerSecond == b.config.meanRequestsPerSecond);
  CHECK(a.windowRequests == b.windowRequests);
  double lo = 1e300, hi = 0.0;
  double oneHitLo = 1.0, oneHitHi = 0.0;
  std::size_t differentSeeds = 0;
  for (std::uint64_t s = 0; s < 300; ++s) {
    const auto w = sampleWorkload(rotating, r, s);
    const auto& c = w.config;
    CHECK(c.seed != 42);
    differentSeeds += c.seed != a.config.seed;
    CHECK(c.drift == traces::DriftModel::kRotating);
    CHECK(c.requests >= r.minRequests);
    CHECK(c.requests <= r.maxRequests);
    CHECK(c.objects >= r.minObjects);
    CHECK(c.objects <= r.maxObjects);
    CHECK(c.zipfAlpha >= r.minZipfAlpha);
    CHECK(c.zipfAlpha <= r.maxZipfAlpha);
    CHECK(c.meanRequestsPerSecond >= r.minRequestsPerSecond * 0.999);
    CHECK(c.meanRequestsPerSecond <= r.maxRequestsPerSecond * 1.001);
    CHECK(c.rateAmplitude <= r.maxRateAmplitude);
    CHECK(c.oneHitShare >= r.minOneHitShare);
    CHECK(c.oneHitShare <= r.maxOneHitShare);
    oneHitLo = std::min(oneHitLo, c.oneHitShare);
    oneHitHi = std::max(oneHitHi, c.oneHitShare);
    CHECK(w.windowRequests >= 1);
    CHECK(w.windowRequests <= r.maxWindowRequests);
    CHECK(w.windowRequests * kMinWindowsPerEpisode <= c.requests);
    // The preset rotates 10 times over its trace; so does every sample.
    CHECK(double(c.requests) / double(c.rotateEveryRequests) == doctest::Approx(10.0).epsilon(0.01));
    CHECK(traces::validateSyntheticConfig(c).isOk());
    const double secondsPerObject = double(c.objects) / c.meanRequestsPerSecond;
    lo = std::min(lo, secondsPerObject);
    hi = std::max(hi, secondsPerObject);
  }
  CHECK(differentSeeds >= 299);
  // The quantity that sets how expensive capacity is against egress
  // (objects / request rate) covers at least four decades; the presets sit
  // at one point (100k objects at 1000 req/s).
  MESSAGE("objects / rate from " << lo << " to " << hi << " s");
  CHECK(hi / lo > 1e4);
  // Some workloads have almost no one-hit wonders, some a large share.
  CHECK(oneHitLo < 0.05);
  CHECK(oneHitHi > 0.45);
  // The generated trace honours the sample.
  auto small = r;
  small.minRequests = small.maxRequests = 20'000;
  const auto w = sampleWorkload(rotating, small, 5);
  CHECK(traces::generateSynthetic(w.config).size() == 20'000);
}

TEST_CASE("windowForTrace is the bench's rule: a tenth of the window for traces shorter than one") {
  CHECK(windowForTrace(113'872, 10'000) == 10'000);
  CHECK(windowForTrace(10'000, 10'000) == 10'000);
  CHECK(windowForTrace(9'954, 10'000) == 1'000);
  CHECK(windowForTrace(8'976, 10'000) == 1'000);
  CHECK(windowForTrace(500, 10'000) == 100);
  CHECK(windowForTrace(5, 10'000) == 1);
  CHECK(windowForTrace(0, 0) == 1);
}

TEST_CASE("sampleTraceSegment: a seeded segment of at least half the trace with enough windows") {
  const WorkloadRandomization r;
  std::size_t starts = 0;
  for (std::uint64_t s = 0; s < 200; ++s) {
    for (std::uint64_t n : {8'976ull, 66'987ull, 113'872ull}) {
      const auto g = sampleTraceSegment(n, r, s);
      CHECK(g.begin < g.end);
      CHECK(g.end <= n);
      CHECK(2 * (g.end - g.begin) >= n);
      CHECK(g.windowRequests >= 1);
      CHECK(g.windowRequests * kMinWindowsPerEpisode <= g.end - g.begin);
      starts += g.begin > 0;
      const auto again = sampleTraceSegment(n, r, s);
      CHECK(again.begin == g.begin);
      CHECK(again.end == g.end);
      CHECK(again.windowRequests == g.windowRequests);
    }
  }
  CHECK(starts > 300);  // not always the start of the trace
}

TEST_CASE("folds: holding a trace out removes its whole group; a typo is an error") {
  const std::vector<std::string> all = {"../shared/traces/cloudPhysicsIO.oracleGeneral.bin",
                                        "../shared/traces/cloudPhysicsIO.csv", "../shared/traces/adaptsize_web.tr",
                                        "../shared/traces/nasa_http_19950701_10k.tr"};
  CHECK(traceGroup(all[0]) == "cloudPhysicsIO");
  CHECK(traceGroup(all[1]) == "cloudPhysicsIO");
  CHECK(traceGroup("adaptsize_web.tr") == "adaptsize_web");
  auto none = foldTrainingTraces(all, {});
  REQUIRE(none.isOk());
  CHECK(none.value() == all);
  auto cp = foldTrainingTraces(all, {"cloudPhysicsIO.csv"});
  REQUIRE(cp.isOk());
  CHECK(cp.value() == std::vector<std::string>{all[2], all[3]});
  auto two = foldTrainingTraces(all, {"/elsewhere/adaptsize_web.tr", "nasa_http_19950701_10k.tr"});
  REQUIRE(two.isOk());
  CHECK(two.value() == std::vector<std::string>{all[0], all[1]});
  auto typo = foldTrainingTraces(all, {"adaptsize.tr"});
  REQUIRE_FALSE(typo.isOk());
  CHECK(typo.message().find("adaptsize.tr") != std::string::npos);
}

namespace {

// A small "time id size" trace file: a looping working set with some noise.
std::string writeTrace(const std::filesystem::path& dir, const std::string& name, std::uint64_t salt) {
  const auto path = dir / name;
  std::ofstream out(path);
  for (std::uint64_t i = 0; i < 6'000; ++i) {
    const std::uint64_t id = (i * 7 + salt) % 900 + ((i % 5 == 0) ? 10'000 + i : 0);
    out << i / 10 << ' ' << id << ' ' << 1'000 + (id % 13) * 700 << '\n';
  }
  return path.string();
}

}  // namespace

TEST_CASE("train: --hold-out keeps the held-out group out and records the training data in the model") {
  const auto dir = std::filesystem::temp_directory_path() / "edgecache_fold_test";
  std::filesystem::create_directories(dir);
  TrainConfig c;
  c.traceFiles = {writeTrace(dir, "alpha.one.tr", 1), writeTrace(dir, "alpha.two.tr", 2),
                  writeTrace(dir, "beta.tr", 3)};
  c.heldOut = {"alpha.two.tr"};
  c.randomizeWorkloads = true;
  c.rewardUnit = RewardUnit::kBaselineCost;
  c.episodes = 2;
  c.episodesPerUpdate = 2;
  c.evalEvery = 1;
  c.jobs = 1;
  c.out = (dir / "fold.ecdrl").string();
  std::vector<std::string> lines;
  c.log = [&](const std::string& l) { lines.push_back(l); };
  auto report = train(c);
  REQUIRE_MESSAGE(report.isOk(), report.message());
  bool sawAlpha = false, sawBeta = false;
  for (const auto& l : lines) {
    sawAlpha = sawAlpha || l.find("alpha.") != std::string::npos;
    sawBeta = sawBeta || l.find("beta.tr[") != std::string::npos;
  }
  CHECK_FALSE(sawAlpha);  // neither copy of the held-out group was replayed
  CHECK(sawBeta);
  auto file = readModelFile(c.out);
  REQUIRE_MESSAGE(file.isOk(), file.message());
  CHECK(file->metadata.at("training_traces") == "beta.tr");
  CHECK(file->metadata.at("held_out") == "alpha.two.tr");
  CHECK(file->metadata.at("reward_unit") == "greedy");
  // A held-out name that matches nothing refuses to train.
  c.heldOut = {"gamma.tr"};
  auto refused = train(c);
  REQUIRE_FALSE(refused.isOk());
  CHECK(refused.message().find("gamma.tr") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("the baseline reward unit is joint-greedy's mean cost per window") {
  auto cfg = traces::syntheticPreset("stationary").value();
  cfg.requests = 40'000;
  cfg.objects = 4'000;
  cfg.seed = 9;
  auto requests = std::make_shared<const std::vector<cachelib::Request>>(traces::generateSynthetic(cfg));
  EnvSettings env;
  env.windowRequests = 4'000;
  ReplayEpisode ep(requests, env, 0.0, "unit");
  const double egressUnit = ep.rewardUnitDollars();
  CHECK(egressUnit > 0.0);
  ep.setBaselineRewardUnit(true);
  (void)ep.begin();
  CHECK(ep.rewardUnitDollars() == doctest::Approx(ep.computeBaselineCost() / 10.0).epsilon(1e-12));
  CHECK(ep.rewardUnitDollars() != doctest::Approx(egressUnit));
}
