#pragma once
// PPO training of the actor-critic (plain C++ here; the torch parts live
// behind ActorCritic).
//
// An Episode is anything that yields observations and takes joint actions;
// ReplayEpisode is the real one: cachelib::WindowedReplay over one trace
// (segment), where each step applies the agent's decision to the next window
// and the reward is minus that window's total cost (rental + egress + resize
// fee, from the cost model) divided by the episode's mean all-miss egress per
// window, minus a configurable penalty per policy switch.
//
// train() runs rounds: collect `episodesPerUpdate` episodes with the current
// (frozen) stochastic policy — in parallel on `jobs` threads, each episode
// seeded from (seed, episode number), so results do not depend on `jobs` —
// compute GAE advantages, update the feature normaliser, run one PPO update.
// Progress lines go to `log`; the model is checkpointed to `out`.
// Deterministic for a given config on a given machine/LibTorch build.

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/action_distribution.h"
#include "agent/actor_critic.h"
#include "agent/features.h"
#include "agent/training_workloads.h"
#include "cachelib/controller.h"
#include "cachelib/request.h"
#include "cachelib/status.h"
#include "cachelib/windowed_replay.h"

namespace edgecache::agent {

struct StepOutcome {
  Observation next;   // raw (un-normalised) observation after the step
  double reward = 0.0;
  bool done = false;
  double costDollars = 0.0;  // the window's true cost (reports)
};

class Episode {
 public:
  virtual ~Episode() = default;
  // Starts the episode; returns the first raw observation.
  virtual Observation begin() = 0;
  virtual StepOutcome step(const Action& action) = 0;
  // Shown in progress lines.
  virtual std::string label() const = 0;
  // Cost of the baseline (joint-greedy) on the same episode, in dollars, or
  // NaN when there is none. May replay the episode once (cached by callers).
  virtual double baselineCostDollars() { return std::nan(""); }
  // The baseline's action for the current state (imitation warm start);
  // false when the episode has no expert. Call at most once per step.
  virtual bool expertAction(Action& /*out*/) { return false; }
  // Total cost of the episode so far in dollars (every window), NaN if unknown.
  virtual double costDollars() const { return std::nan(""); }
};

// Everything one episode produced.
struct RolloutResult {
  std::vector<PpoSample> samples;      // normalised observations, GAE advantages and returns
  std::vector<Observation> rawObservations;
  double totalReward = 0.0;
  double totalCostDollars = 0.0;
  std::size_t steps = 0;
};

enum class RolloutMode {
  kSample,         // the stochastic policy (training)
  kDeterministic,  // argmax policy, Beta mode (evaluation, as DrlController)
  kExpert,         // the episode's expert acts (imitation); value targets are Monte-Carlo returns
};
// Runs one episode and computes GAE(gamma, lambda) advantages and returns.
cachelib::Result<RolloutResult> rollout(const ActorCritic& model, Episode& episode, Rng& rng, double gamma,
                                        double lambda, RolloutMode mode = RolloutMode::kSample);

// The environment settings used for a trace, as `edgecache-bench compare`
// sets them by default: floor/ceiling as fractions of the trace's working
// set, a geometric what-if grid, sampling 1e5/requests in [0.001, 0.1].
struct EnvSettings {
  std::uint64_t windowRequests = 10'000;
  double floorFraction = 0.01;
  double ceilingFraction = 1.0;
  std::size_t gridPoints = 12;
  cachelib::CostPrices prices;
  double requestRate = 0.0;  // > 0: ignore trace times (set for traces without timestamps)
};
cachelib::ReplayEnvConfig makeEnvConfig(const std::vector<cachelib::Request>& requests, const EnvSettings& settings);

class ReplayEpisode final : public Episode {
 public:
  ReplayEpisode(std::shared_ptr<const std::vector<cachelib::Request>> requests, const EnvSettings& settings,
                double switchPenalty, std::string label);
  // With an explicit environment (the online controller replays its request
  // window under the context it was started with, not a trace-derived one).
  ReplayEpisode(std::shared_ptr<const std::vector<cachelib::Request>> requests, const cachelib::ReplayEnvConfig& config,
                double switchPenalty, std::string label);
  ~ReplayEpisode() override;
  Observation begin() override;
  StepOutcome step(const Action& action) override;
  std::string label() const override { return label_; }
  // joint-greedy's cost on this episode, through `baselineCache` when given.
  double baselineCostDollars() override;
  double costDollars() const override;
  // joint-greedy, fed with this episode's window features.
  bool expertAction(Action& out) override;
  void setBaselineCache(std::function<double()> cached) { baseline_ = std::move(cached); }
  // Reward unit: the baseline's (joint-greedy's) mean cost per window on this
  // episode instead of the mean all-miss egress per window; begin() computes
  // it (one baseline replay, or the cache). Falls back to the egress unit
  // when the baseline costs nothing (unit-size traces).
  void setBaselineRewardUnit(bool on) noexcept { baselineUnit_ = on; }
  // The current reward unit in dollars per window.
  double rewardUnitDollars() const noexcept;
  // Imitation expert: joint-greedy (default), or the cheapest in hindsight of
  // joint-greedy and every static (online policy x what-if grid capacity)
  // on this episode. begin() then replays the K x grid static candidates
  // (without the feature tracker: ~1/20 of a featured replay each).
  void setHindsightExpert(bool on) noexcept { hindsightExpert_ = on; }
  // After begin() with the hindsight expert: what it chose, e.g.
  // "static lru@1.2GiB $0.31 vs joint-greedy $0.34".
  std::string expertChoice() const;
  const cachelib::ReplayEnvConfig& config() const noexcept;
  // joint-greedy's cost, replaying the whole episode (no cache).
  double computeBaselineCost() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
  std::string label_;
  std::function<double()> baseline_;
  bool baselineUnit_ = false;
  bool hindsightExpert_ = false;
};

// Whom the imitation warm start copies (see ReplayEpisode::setHindsightExpert).
enum class ImitationExpert {
  kJointGreedy,    // joint-greedy, deployable and myopic
  kHindsightBest,  // per episode, the cheaper in hindsight of joint-greedy and the best static decision
};

// What one unit of reward is (see ReplayEpisode::setBaselineRewardUnit).
enum class RewardUnit {
  kAllMissEgress,  // the episode's mean all-miss egress per window
  kBaselineCost,   // joint-greedy's mean cost per window on the episode
};

struct TrainConfig {
  std::vector<std::string> synthetic;    // presets, e.g. "rotating"
  std::vector<std::string> traceFiles;   // trace files (any readTrace format)
  std::uint64_t seed = 1;
  std::size_t episodes = 120;            // training episodes in total
  std::size_t episodesPerUpdate = 4;     // episodes collected per PPO update
  std::size_t imitationEpisodes = 0;     // joint-greedy demonstrations for a behaviour-cloning warm start
  int imitationEpochs = 30;              // supervised passes over the demonstrations
  ImitationExpert imitationExpert = ImitationExpert::kJointGreedy;  // whom the warm start copies
  std::size_t syntheticSeeds = 4;        // generator seeds per preset: seed*1000 + 1..N (never 42)
  std::uint64_t syntheticRequests = 0;   // requests per synthetic trace; 0 = the preset's (1M)
  std::uint64_t segmentRequests = 1'000'000;  // file traces: one episode = a random segment this long
                                         // (without randomizeWorkloads; windowForTrace picks its window)
  std::vector<std::string> heldOut;      // traces (and their fold group) removed from traceFiles
  bool randomizeWorkloads = false;       // synthetic: sampleWorkload per episode; files: sampleTraceSegment
  WorkloadRandomization randomization;   // the ranges when randomizeWorkloads
  std::size_t evalWorkloadsPerPreset = 2;  // randomizeWorkloads: held-out evaluation workloads per preset
  // randomizeWorkloads: the evaluation workloads' seed; 0 = derived from
  // `seed`. Fixed, it gives runs with different seeds the same held-out
  // workloads, so their best evaluations compare (bench/train-default.sh).
  std::uint64_t evalSeed = 0;
  unsigned jobs = 2;                     // episodes replayed in parallel
  EnvSettings env;
  double switchPenalty = 0.01;           // reward penalty per policy switch (normalised cost units)
  RewardUnit rewardUnit = RewardUnit::kAllMissEgress;  // per-window cost unit of the reward
  double gamma = 0.9;
  double gaeLambda = 0.95;
  PpoConfig ppo;
  ModelArchitecture architecture = ActorCritic::defaultArchitecture();
  std::string out;                       // model file path ("" = do not write)
  std::size_t evalEvery = 5;             // updates between deterministic evaluations (0 = never)
  bool keepBest = true;                  // write the best-evaluated model to `out`, not the last
  bool compareGreedy = true;             // report every episode's cost against joint-greedy
  std::string command;                   // recorded in the model file's metadata
  std::function<void(const std::string&)> log;  // progress lines; null = stderr
};

struct TrainReport {
  double seconds = 0.0;
  std::size_t episodes = 0, updates = 0;
  double firstRoundReward = 0.0, lastRoundReward = 0.0;  // mean episode reward
  double bestEvalRatio = 0.0;  // mean over eval traces of deterministic cost / joint-greedy cost
};

// Generic loop: `makeEpisode(i)` builds training episode i (called from
// worker threads), `makeEval(i)` evaluation episode i of `evalEpisodes`.
using EpisodeFactory = std::function<std::unique_ptr<Episode>(std::size_t index)>;
cachelib::Result<TrainReport> trainLoop(ActorCritic& model, const TrainConfig& config, const EpisodeFactory& makeEpisode,
                                        const EpisodeFactory& makeEval, std::size_t evalEpisodes);

// The full `edgecache-agent train`: builds the episodes from the config's
// traces, trains a fresh model and writes it to config.out.
cachelib::Result<TrainReport> train(const TrainConfig& config);

}  // namespace edgecache::agent
