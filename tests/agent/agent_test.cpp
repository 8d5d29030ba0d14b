// agent: model files, the fused action head, PPO, the DRL controller.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>

#include <doctest/doctest.h>

#include "agent/action_distribution.h"
#include "agent/actor_critic.h"
#include "agent/agent_controllers.h"
#include "agent/compression.h"
#include "agent/drl_controller.h"
#include "agent/features.h"
#include "agent/model_file.h"
#include "agent/ppo_trainer.h"
#include "cachelib/controllers/joint_greedy_controller.h"
#include "cachelib/policy_registry.h"
#include "cachelib/windowed_replay.h"
#include "tests/test_support.h"
#include "traces/synthetic.h"

using namespace edgecache;
using namespace edgecache::agent;

namespace {

std::unique_ptr<ActorCritic> freshModel(std::uint64_t seed = 7) {
  auto m = ActorCritic::create(ActorCritic::defaultArchitecture(), seed);
  REQUIRE(m.isOk());
  return std::move(m.value());
}

Observation sampleObservation(std::uint64_t seed) {
  Rng rng(seed);
  Observation o;
  for (std::size_t i = 0; i < kGlobalDims; ++i) o.global.push_back(float(rng.normal()));
  for (std::size_t i = 0; i < actionPolicyIds().size() * kPerPolicyDims; ++i) o.perPolicy.push_back(float(rng.normal()));
  return o;
}

std::string readBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), std::streamsize(bytes.size()));
}

std::vector<cachelib::Request> smallTrace(std::uint64_t requests = 60'000) {
  auto cfg = traces::syntheticPreset("rotating").value();
  cfg.requests = requests;
  cfg.objects = 5'000;
  cfg.rotateEveryRequests = 10'000;
  cfg.rotateShift = 500;
  cfg.seed = 3;
  return traces::generateSynthetic(cfg);
}

EnvSettings smallEnv() {
  EnvSettings s;
  s.windowRequests = 2'000;
  return s;
}

// A one-line message that names the file.
void checkOneLine(const std::string& message, const std::string& path) {
  CHECK(message.find('\n') == std::string::npos);
  CHECK(message.find(path) != std::string::npos);
}

}  // namespace

TEST_CASE("capacity action maps log-linearly into [floor, ceiling]") {
  cachelib::ControlContext ctx;
  ctx.floorBytes = 1000;
  ctx.ceilingBytes = 100'000;
  CHECK(capacityFromAction(ctx, 0.0) == 1000);
  CHECK(capacityFromAction(ctx, 1.0) == 100'000);
  CHECK(capacityFromAction(ctx, 0.5) == 10'000);
  CHECK(capacityFromAction(ctx, -3.0) == 1000);
  CHECK(capacityFromAction(ctx, std::nan("")) == 1000);
  CHECK(capacityFromAction(ctx, 7.0) == 100'000);
  CHECK(actionFromCapacity(ctx, 10'000) == doctest::Approx(0.5));
  CHECK(initialDecision(ctx).capacityBytes == 10'000);
}

TEST_CASE("feature encoder emits the schema's dimensions, finite values") {
  auto requests = smallTrace(10'000);
  auto env = makeEnvConfig(requests, smallEnv());
  cachelib::WindowedReplay replay(requests, env);
  FeatureEncoder enc(env.context, actionPolicyIds());
  Observation o;
  enc.encode(replay.features(), o);  // before any window: all neutral
  CHECK(o.global.size() == kGlobalDims);
  CHECK(o.perPolicy.size() == actionPolicyIds().size() * kPerPolicyDims);
  for (int i = 0; i < 3; ++i) {
    (void)replay.step(initialDecision(env.context));
    enc.encode(replay.features(), o);
    for (float v : o.global) CHECK(std::isfinite(v));
    for (float v : o.perPolicy) CHECK(std::isfinite(v));
  }
  // Every policy's argmin action is in [0, 1] and its min cost <= its costs.
  for (std::size_t k = 0; k < actionPolicyIds().size(); ++k) {
    const float* row = o.perPolicy.data() + k * kPerPolicyDims;
    CHECK(row[kCostGridPoints + 1] >= 0.0f);
    CHECK(row[kCostGridPoints + 1] <= 1.0f);
    for (std::size_t j = 0; j < kCostGridPoints; ++j) CHECK(row[kCostGridPoints] <= row[j] + 1e-6f);
  }
}

TEST_CASE("smoothed cost curves: the running mean of the dollar costs over the windows, restarted by reset()") {
  auto requests = smallTrace(12'000);
  auto env = makeEnvConfig(requests, smallEnv());
  cachelib::WindowedReplay replay(requests, env);
  FeatureEncoder enc(env.context, actionPolicyIds());
  const auto& prices = env.context.prices;
  constexpr std::size_t kSmoothed = kCostGridPoints + 4;  // first smoothed value in a row
  Observation first, second;
  (void)replay.step(initialDecision(env.context));
  const double unit1 = cachelib::egressDollars(prices, double(replay.features().bytes));
  enc.encode(replay.features(), first);
  // Another window at another capacity: its costs differ.
  (void)replay.step(cachelib::Decision{capacityFromAction(env.context, 0.9), actionPolicyIds()[0]});
  const auto f2 = replay.features();
  const double unit2 = cachelib::egressDollars(prices, double(f2.bytes));
  enc.encode(f2, second);
  bool changed = false;
  for (std::size_t k = 0; k < actionPolicyIds().size(); ++k) {
    const float* a = first.perPolicy.data() + k * kPerPolicyDims;
    const float* b = second.perPolicy.data() + k * kPerPolicyDims;
    for (std::size_t j = 0; j < kCostGridPoints; ++j) {
      // First window: the smoothed curve is the window's own.
      CHECK(a[kSmoothed + j] == doctest::Approx(a[j]).epsilon(1e-5));
      // Second: (dollars1 + dollars2) / (unit1 + unit2).
      const double expect = (double(a[j]) * unit1 + double(b[j]) * unit2) / (unit1 + unit2);
      CHECK(b[kSmoothed + j] == doctest::Approx(expect).epsilon(1e-4));
      changed = changed || std::fabs(b[j] - a[j]) > 1e-3f;
    }
    // Its minimum and where it lies.
    float lo = b[kSmoothed];
    for (std::size_t j = 0; j < kCostGridPoints; ++j) lo = std::min(lo, b[kSmoothed + j]);
    CHECK(b[kSmoothed + kCostGridPoints] == lo);
    CHECK(b[kSmoothed + kCostGridPoints + 1] >= 0.0f);
    CHECK(b[kSmoothed + kCostGridPoints + 1] <= 1.0f);
  }
  CHECK(changed);  // the test would pass vacuously on two identical windows
  CHECK(first.global[kGlobalDims - 3] == 0.0f);  // log(duration / smoothed duration) of the first window
  // reset(): the next window starts a new average.
  enc.reset();
  Observation again;
  enc.encode(f2, again);
  for (std::size_t j = 0; j < kCostGridPoints; ++j)
    CHECK(again.perPolicy[kSmoothed + j] == doctest::Approx(again.perPolicy[j]).epsilon(1e-5));
}

TEST_CASE("feature names follow the schema; clippedFeatures finds inputs outside the training range") {
  const std::size_t k = actionPolicyIds().size();
  CHECK(featureName(0, k) == "capacity_action");
  CHECK(featureName(9, k) == "log_mean_size");
  CHECK(featureName(16, k) == "reuse[0]");
  CHECK(featureName(16 + cachelib::kReuseBuckets - 1, k) == "reuse[23]");
  CHECK(featureName(kGlobalDims - 1, k) == "smoothed_best_action");
  CHECK(featureName(kGlobalDims, k) == "lru.cost@0");
  CHECK(featureName(kGlobalDims + kCostGridPoints, k) == "lru.min_cost");
  CHECK(featureName(kGlobalDims + kPerPolicyDims - 1, k) == "lru.smoothed_argmin_action");
  CHECK(featureName(kGlobalDims + kPerPolicyDims + kCostGridPoints + 3, k).ends_with(".is_current"));
  CHECK(featureName(kGlobalDims + k * kPerPolicyDims, k) == "?");
  // Every name is distinct.
  std::vector<std::string> names;
  for (std::size_t i = 0; i < kGlobalDims + k * kPerPolicyDims; ++i) names.push_back(featureName(i, k));
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());

  // A model whose normaliser saw a narrow band of inputs: a value far outside
  // it is clipped and reported, values inside are not.
  auto model = freshModel();
  for (std::uint64_t s = 0; s < 50; ++s) {
    Observation o = sampleObservation(s);
    for (float& v : o.global) v *= 0.01f;
    for (float& v : o.perPolicy) v *= 0.01f;
    model->observeForNorm(o);
  }
  Observation inside = sampleObservation(77);
  for (float& v : inside.global) v *= 0.01f;
  for (float& v : inside.perPolicy) v *= 0.01f;
  Observation outside = inside;
  outside.global[9] = 3.0f;                          // log_mean_size far out
  outside.perPolicy[kPerPolicyDims + 2] = -3.0f;     // second policy's cost@2
  model->normalise(inside);
  model->normalise(outside);
  CHECK(clippedFeatures(inside).empty());
  const auto clipped = clippedFeatures(outside);
  REQUIRE(clipped.size() == 2);
  CHECK(featureName(clipped[0], k) == "log_mean_size");
  CHECK(featureName(clipped[1], k).ends_with(".cost@2"));
  CHECK(clipped[1] == kGlobalDims + kPerPolicyDims + 2);
}

TEST_CASE("fused head shapes; joint log-prob = policy part + capacity part, torch and C++ agree") {
  auto model = freshModel();
  const std::int64_t k = std::int64_t(actionPolicyIds().size());
  auto shapes = model->headShapes(5);
  REQUIRE(shapes.isOk());
  CHECK(shapes.value()[0] == std::vector<std::int64_t>{5, k});
  CHECK(shapes.value()[1] == std::vector<std::int64_t>{5, k, 2});
  CHECK(shapes.value()[2] == std::vector<std::int64_t>{5});

  Observation obs = sampleObservation(1);
  auto out = model->forward(obs);
  REQUIRE(out.isOk());
  CHECK(out->logits.size() == std::size_t(k));
  for (std::size_t i = 0; i < std::size_t(k); ++i) {
    CHECK(out->alpha[i] > 1.0f);
    CHECK(out->beta[i] > 1.0f);
  }
  // The capacity distribution depends on the policy it is conditioned on.
  CHECK(out->alpha[0] != out->alpha[1]);
  Rng rng(5);
  for (int trial = 0; trial < 20; ++trial) {
    const Action a = sampleAction(out.value(), rng);
    const LogProbParts cpp = logProb(out.value(), a);
    auto t = model->torchLogProb(obs, a);
    REQUIRE(t.isOk());
    CHECK(t->policy == doctest::Approx(cpp.policy).epsilon(1e-4));
    CHECK(t->capacity == doctest::Approx(cpp.capacity).epsilon(1e-3));
    CHECK(cpp.joint() == doctest::Approx(cpp.policy + cpp.capacity));
    CHECK(t->joint() == doctest::Approx(cpp.joint()).epsilon(1e-3));
  }
  // Probabilities sum to one; the deterministic action is the argmax / Beta mode.
  double sum = 0.0;
  for (double p : policyProbabilities(out.value())) sum += p;
  CHECK(sum == doctest::Approx(1.0));
  const Action d = deterministicAction(out.value());
  CHECK(d.capacityAction >= 0.0);
  CHECK(d.capacityAction <= 1.0);
}

TEST_CASE("Beta sampling matches its mean (seeded generator)") {
  Rng rng(11);
  PolicyOutput out{{0.0f}, {3.0f}, {6.0f}, 0.0f};
  double sum = 0.0;
  const int n = 20'000;
  for (int i = 0; i < n; ++i) sum += sampleAction(out, rng).capacityAction;
  CHECK(sum / n == doctest::Approx(3.0 / 9.0).epsilon(0.02));
}

TEST_CASE("model file round trip preserves weights, normaliser and metadata") {
  const auto dir = testing::tempDir("agent-roundtrip");
  const std::string path = (dir / "m.ecdrl").string();
  auto model = freshModel();
  for (int i = 0; i < 10; ++i) model->observeForNorm(sampleObservation(100 + i));
  REQUIRE(model->save(path, {{"command", "test"}}).isOk());
  auto loaded = ActorCritic::load(path);
  REQUIRE_MESSAGE(loaded.isOk(), loaded.message());
  const Observation raw = sampleObservation(3);
  auto a = model->evaluate(raw), b = loaded.value()->evaluate(raw);
  REQUIRE(a.isOk());
  REQUIRE(b.isOk());
  CHECK(a->logits == b->logits);
  CHECK(a->alpha == b->alpha);
  CHECK(a->beta == b->beta);
  CHECK(a->value == b->value);
  auto file = readModelFile(path);
  REQUIRE(file.isOk());
  CHECK(file->metadata.at("command") == "test");
  CHECK(file->formatVersion == kModelFormatVersion);
  CHECK(file->policyIds == actionPolicyIds());
  CHECK(file->featureSchema == kFeatureSchema);
  CHECK(encodeModelFile(file.value()) == readBytes(path));
}

TEST_CASE("incompatible model files are refused with one clear line") {
  const auto dir = testing::tempDir("agent-refuse");
  const std::string good = (dir / "good.ecdrl").string();
  REQUIRE(freshModel()->save(good, {}).isOk());
  const ModelFile base = readModelFile(good).value();
  auto refuse = [&](const ModelFile& m, const std::string& name, const std::string& expect) {
    const std::string path = (dir / name).string();
    REQUIRE(writeModelFile(path, m).isOk());
    auto r = ActorCritic::load(path);
    REQUIRE_FALSE(r.isOk());
    INFO(r.message());
    checkOneLine(r.message(), path);
    CHECK(r.message().find(expect) != std::string::npos);
    auto c = makeAgentController("drl-frozen:" + path);
    CHECK_FALSE(c.isOk());
  };

  SUBCASE("architecture in the header does not match the tensors") {
    ModelFile m = base;
    m.architecture.trunkHidden = 32;  // tensors are still 64 wide
    refuse(m, "arch.ecdrl", "architecture");
  }
  SUBCASE("architecture built for other feature dims") {
    ModelFile m = base;
    m.architecture.globalDims += 1;
    refuse(m, "dims.ecdrl", "architecture");
  }
  SUBCASE("a tensor of the wrong shape") {
    ModelFile m = base;
    for (auto& t : m.tensors)
      if (t.name == "head.weight") {
        t.shape[0] -= 1;
        t.values.resize(std::size_t(t.shape[0] * t.shape[1]));
      }
    refuse(m, "shape.ecdrl", "head.weight");
  }
  SUBCASE("a missing tensor") {
    ModelFile m = base;
    m.tensors.pop_back();
    refuse(m, "missing.ecdrl", "tensors");
  }
  SUBCASE("one tensor twice, another missing (same count)") {
    ModelFile m = base;
    m.tensors.back() = m.tensors.front();
    refuse(m, "twice.ecdrl", "appears twice");
    // Through the compressed engines' loaders too (plain C++ and torch-packed).
    for (auto engine : {InferenceEngine::kPlain, InferenceEngine::kTorchXnnpack}) {
      ModelFile e = m;
      e.engine = engine;
      auto evaluator = makeEvaluator(e, (dir / "twice.ecdrl").string());
      CHECK_FALSE(evaluator.isOk());
    }
  }
  SUBCASE("feature schema") {
    ModelFile m = base;
    m.featureSchema = "edgecache-drl-features/0;something else";
    refuse(m, "schema.ecdrl", "feature schema");
  }
  SUBCASE("policy registry ids") {
    ModelFile m = base;
    m.policyIds.pop_back();
    refuse(m, "ids.ecdrl", "policy registry ids");
  }
  SUBCASE("non-finite weights") {
    ModelFile m = base;
    m.tensors[0].values[0] = std::nanf("");
    refuse(m, "nan.ecdrl", "non-finite");
  }
  SUBCASE("a newer format version") {
    ModelFile m = base;
    m.formatVersion = kModelFormatVersion + 1;
    refuse(m, "version.ecdrl", "format version");
  }
  SUBCASE("a self-consistent smaller architecture still loads") {
    ModelArchitecture small = ActorCritic::defaultArchitecture();
    small.trunkHidden = 16;
    small.headHidden = 8;
    auto m = ActorCritic::create(small, 3);
    REQUIRE(m.isOk());
    const std::string path = (dir / "small.ecdrl").string();
    REQUIRE(m.value()->save(path, {}).isOk());
    auto loaded = ActorCritic::load(path);
    REQUIRE_MESSAGE(loaded.isOk(), loaded.message());
    CHECK(loaded.value()->architecture() == small);
  }
}

TEST_CASE("corrupt, truncated and garbage files are refused with one clear line") {
  const auto dir = testing::tempDir("agent-corrupt");
  const std::string good = (dir / "good.ecdrl").string();
  REQUIRE(freshModel()->save(good, {}).isOk());
  const std::string bytes = readBytes(good);
  auto refuse = [&](const std::string& content, const std::string& name, const std::string& expect) {
    const std::string path = (dir / name).string();
    writeBytes(path, content);
    auto r = ActorCritic::load(path);
    REQUIRE_FALSE(r.isOk());
    INFO(r.message());
    checkOneLine(r.message(), path);
    CHECK(r.message().find(expect) != std::string::npos);
  };
  refuse("", "empty.ecdrl", "not an edgecache DRL model");
  refuse("PK\x03\x04 this is a torch zip archive, or anything else", "garbage.ecdrl", "not an edgecache DRL model");
  refuse(bytes.substr(0, 20), "header-only.ecdrl", "truncated");
  refuse(bytes.substr(0, bytes.size() / 2), "half.ecdrl", "checksum");
  refuse(bytes.substr(0, bytes.size() - 1), "minus-one.ecdrl", "checksum");
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x40;
  refuse(flipped, "flipped.ecdrl", "checksum");
  refuse(bytes + "tail", "tail.ecdrl", "checksum");
  // Structure errors behind a valid checksum are caught too (bounded reads).
  ModelFile m = readModelFile(good).value();
  std::string lying = encodeModelFile(m);
  // Header length field at offset 20: claim a huge header, then fix the checksum.
  std::uint64_t huge = 1ull << 40;
  std::memcpy(lying.data() + 20, &huge, 8);
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i + 8 < lying.size(); ++i) h = (h ^ static_cast<unsigned char>(lying[i])) * 0x100000001b3ull;
  std::memcpy(lying.data() + lying.size() - 8, &h, 8);
  refuse(lying, "lying.ecdrl", "header");

  auto missing = ActorCritic::load((dir / "nope.ecdrl").string());
  REQUIRE_FALSE(missing.isOk());
  CHECK(missing.message().find("cannot open") != std::string::npos);
}

namespace {

// A crafted contextual bandit: policy k costs perPolicy[k][0] (random each
// step), and the capacity action should match global[0]. Optimal per-step
// reward is about -1/9; a uniform random policy gets about -0.7.
class CraftedEpisode final : public Episode {
 public:
  explicit CraftedEpisode(std::uint64_t seed) : rng_(seed) {}
  Observation begin() override { return draw(); }
  StepOutcome step(const Action& a) override {
    StepOutcome o;
    const double target = last_.global[0];
    const double cost = last_.perPolicy[a.policyIndex * kPerPolicyDims];
    o.reward = -cost - 2.0 * (a.capacityAction - target) * (a.capacityAction - target);
    o.next = draw();
    o.done = ++steps_ == 16;
    return o;
  }
  std::string label() const override { return "crafted"; }

 private:
  Observation draw() {
    last_.global.assign(kGlobalDims, 0.0f);
    last_.perPolicy.assign(actionPolicyIds().size() * kPerPolicyDims, 0.0f);
    last_.global[0] = float(0.1 + 0.8 * rng_.uniform());
    for (std::size_t k = 0; k < actionPolicyIds().size(); ++k) last_.perPolicy[k * kPerPolicyDims] = float(rng_.uniform());
    return last_;
  }
  Rng rng_;
  Observation last_;
  int steps_ = 0;
};

double meanDeterministicReward(const ActorCritic& model) {
  double total = 0.0;
  std::size_t steps = 0;
  for (std::uint64_t e = 0; e < 20; ++e) {
    CraftedEpisode ep(900'000 + e);
    Rng rng(e);
    auto r = rollout(model, ep, rng, 0.5, 0.9, RolloutMode::kDeterministic);
    REQUIRE(r.isOk());
    total += r->totalReward;
    steps += r->steps;
  }
  return total / double(steps);
}

TrainConfig craftedConfig() {
  TrainConfig c;
  c.seed = 5;
  c.episodes = 240;
  c.episodesPerUpdate = 8;
  c.gamma = 0.5;
  c.evalEvery = 0;
  c.compareGreedy = false;
  c.ppo.learningRate = 3e-3;
  c.log = [](const std::string&) {};
  return c;
}

std::string trainCrafted(unsigned jobs, double* before, double* after) {
  auto model = freshModel(5);
  TrainConfig c = craftedConfig();
  c.jobs = jobs;
  if (before) *before = meanDeterministicReward(*model);
  auto report = trainLoop(*model, c, [](std::size_t i) { return std::make_unique<CraftedEpisode>(i); }, nullptr, 0);
  REQUIRE_MESSAGE(report.isOk(), report.message());
  if (after) *after = meanDeterministicReward(*model);
  return encodeModelFile(model->toModelFile({}));
}

}  // namespace

TEST_CASE("PPO improves the reward on a crafted environment, reproducibly") {
  double before = 0.0, after = 0.0;
  const std::string a = trainCrafted(2, &before, &after);
  MESSAGE("crafted bandit: mean deterministic reward per step " << before << " -> " << after);
  CHECK(after > before + 0.2);
  CHECK(after > -0.35);
  // Same seed, different thread count: byte-identical model.
  CHECK(trainCrafted(1, nullptr, nullptr) == a);
}

TEST_CASE("expert rollouts reproduce joint-greedy; replay episodes give finite rewards") {
  auto requests = std::make_shared<const std::vector<cachelib::Request>>(smallTrace());
  ReplayEpisode ep(requests, smallEnv(), 0.0, "small");
  auto model = freshModel();
  Rng rng(1);
  auto r = rollout(*model, ep, rng, 0.9, 0.95, RolloutMode::kExpert);
  REQUIRE(r.isOk());
  // Steps are the decisions after the first window: a short first window
  // (a tenth), then windows of 2,000 (the last one may be partial).
  const auto windows = 1 + (requests->size() - 200 + 1'999) / 2'000;
  CHECK(r->steps == windows - 1);
  CHECK(r->totalCostDollars == doctest::Approx(ep.computeBaselineCost()).epsilon(1e-9));
  auto s = rollout(*model, ep, rng, 0.9, 0.95, RolloutMode::kSample);
  REQUIRE(s.isOk());
  CHECK(std::isfinite(s->totalReward));
  CHECK(s->totalReward < 0.0);
}

TEST_CASE("DrlController decides within [floor, ceiling] with online policy ids") {
  const auto requests = smallTrace();
  const auto env = makeEnvConfig(requests, smallEnv());
  const auto ids = actionPolicyIds();
  auto check = [&](cachelib::Controller& c) {
    auto result = cachelib::runControlled(requests, c, env);
    CHECK(result.decisions + 1 == result.windows.size());
    MESSAGE(c.name() << ": " << 1e6 * result.decideSeconds / double(result.decisions) << " us per decision");
    for (const auto& w : result.windows) {
      CHECK(w.decision.capacityBytes >= env.context.floorBytes);
      CHECK(w.decision.capacityBytes <= env.context.ceilingBytes);
      CHECK(std::find(ids.begin(), ids.end(), w.decision.policy) != ids.end());
    }
  };
  SUBCASE("an untrained model") {
    const auto dir = testing::tempDir("agent-controller");
    const std::string path = (dir / "untrained.ecdrl").string();
    REQUIRE(freshModel(9)->save(path, {}).isOk());
    auto c = DrlController::load(path, {});
    REQUIRE(c.isOk());
    CHECK(c.value()->name() == "drl-frozen:untrained.ecdrl");
    check(*c.value());
    CHECK(c.value()->lastError().empty());
  }
  SUBCASE("the shipped default model") {
    auto c = makeAgentController("drl");
    REQUIRE_MESSAGE(c.isOk(), c.message());
    CHECK(c.value()->name() == "drl:default.ecdrl");
    check(*c.value());
  }
}

TEST_CASE("agent controller specs") {
  CHECK(isAgentControllerSpec("drl"));
  CHECK(isAgentControllerSpec("drl:x.ecdrl"));
  CHECK(isAgentControllerSpec("drl-frozen"));
  CHECK(isAgentControllerSpec("drl-frozen:x.ecdrl"));
  CHECK_FALSE(isAgentControllerSpec("joint-greedy"));
  CHECK_FALSE(isAgentControllerSpec("drlx"));
  auto unknown = makeAgentController("joint-greedy");
  REQUIRE_FALSE(unknown.isOk());
  CHECK(unknown.message().find("not an agent controller") != std::string::npos);
  auto missing = makeAgentController("drl-frozen:/nonexistent/model.ecdrl");
  REQUIRE_FALSE(missing.isOk());
  CHECK(missing.message().find("/nonexistent/model.ecdrl") != std::string::npos);
  auto empty = makeAgentController("drl:");
  CHECK_FALSE(empty.isOk());
  auto frozen = makeAgentController("drl-frozen");
  REQUIRE_MESSAGE(frozen.isOk(), frozen.message());
  CHECK(frozen.value()->name() == "drl-frozen:default.ecdrl");
}

TEST_CASE("the default model loads and is compatible") {
  auto file = readModelFile(defaultModelPath());
  REQUIRE_MESSAGE(file.isOk(), file.message());
  CHECK(file->metadata.count("command") == 1);
  auto model = ActorCritic::fromModelFile(file.value(), defaultModelPath());
  REQUIRE_MESSAGE(model.isOk(), model.message());
  CHECK(model.value()->architecture() == ActorCritic::defaultArchitecture());
}

TEST_CASE("EDGECACHE_MODEL_DIR overrides where the default model is looked up") {
  const std::string before = defaultModelPath();
  CHECK(before.ends_with("default.ecdrl"));
  ::setenv("EDGECACHE_MODEL_DIR", "/opt/models", 1);
  const std::string overridden = defaultModelPath();
  ::unsetenv("EDGECACHE_MODEL_DIR");
  CHECK(overridden == "/opt/models/default.ecdrl");
  CHECK(defaultModelPath() == before);
}
