#include "agent/ppo_trainer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/core.h>

#include "cachelib/controllers/joint_greedy_controller.h"
#include "cachelib/controllers/static_controller.h"
#include "cachelib/policy_registry.h"
#include "cachelib/window_features.h"
#include "traces/synthetic.h"
#include "traces/trace_reader.h"

namespace edgecache::agent {

using cachelib::Result;
using cachelib::Status;

Result<RolloutResult> rollout(const ActorCritic& model, Episode& episode, Rng& rng, double gamma, double lambda,
                              RolloutMode mode) {
  RolloutResult r;
  std::vector<double> values, rewards;
  Observation raw = episode.begin();
  for (;;) {
    Observation obs = raw;
    model.normalise(obs);
    auto out = model.forward(obs);
    if (!out) return out.status();
    Action a;
    if (mode == RolloutMode::kExpert) {
      if (!episode.expertAction(a)) return Result<RolloutResult>::error(episode.label() + ": no expert to imitate");
    } else {
      a = mode == RolloutMode::kDeterministic ? deterministicAction(out.value()) : sampleAction(out.value(), rng);
    }
    PpoSample s;
    s.action = a;
    s.oldLogProb = float(logProb(out.value(), a).joint());
    s.obs = std::move(obs);
    values.push_back(out->value);
    r.rawObservations.push_back(std::move(raw));
    StepOutcome o = episode.step(a);
    rewards.push_back(o.reward);
    r.totalReward += o.reward;
    r.samples.push_back(std::move(s));
    raw = std::move(o.next);
    if (o.done) break;
  }
  r.steps = r.samples.size();
  r.totalCostDollars = episode.costDollars();
  // GAE; the episode really ends (the trace is over): no bootstrap.
  double next = 0.0, adv = 0.0, ret = 0.0;
  if (mode == RolloutMode::kExpert) {
    for (std::size_t t = r.steps; t-- > 0;) {
      ret = rewards[t] + gamma * ret;
      r.samples[t].valueTarget = float(ret);
    }
    return r;
  }
  for (std::size_t t = r.steps; t-- > 0;) {
    const double delta = rewards[t] + gamma * next - values[t];
    adv = delta + gamma * lambda * adv;
    r.samples[t].advantage = float(adv);
    r.samples[t].valueTarget = float(adv + values[t]);
    next = values[t];
  }
  return r;
}

cachelib::ReplayEnvConfig makeEnvConfig(const std::vector<cachelib::Request>& requests, const EnvSettings& s) {
  cachelib::ReplayEnvConfig env;
  auto& ctx = env.context;
  const auto ws = traces::workingSet(requests);
  ctx.prices = s.prices;
  ctx.floorBytes = std::max<std::uint64_t>(1, std::uint64_t(s.floorFraction * double(ws.bytes)));
  ctx.ceilingBytes = std::max(ctx.floorBytes, std::uint64_t(s.ceilingFraction * double(ws.bytes)));
  ctx.window.requests = s.windowRequests;
  ctx.window.capacityGrid = cachelib::geometricGrid(ctx.floorBytes, ctx.ceilingBytes, s.gridPoints);
  ctx.window.samplingRate = std::clamp(1e5 / double(std::max<std::size_t>(1, requests.size())), 0.001, 0.1);
  env.requestRate = s.requestRate;
  return env;
}

namespace {
std::string policyLabel(cachelib::PolicyId id) {
  const auto* p = cachelib::findPolicy(id);
  return p ? std::string(p->name) : std::to_string(id);
}
}  // namespace

struct ReplayEpisode::State {
  std::shared_ptr<const std::vector<cachelib::Request>> requests;
  cachelib::ReplayEnvConfig config;
  double switchPenalty = 0.0;
  double unitDollars = 1.0;  // reward unit in use (dollars per window)
  double egressUnitDollars = 1.0;  // mean all-miss egress per window
  double windows = 1.0;
  std::vector<cachelib::PolicyId> ids = actionPolicyIds();
  std::unique_ptr<cachelib::WindowedReplay> env;
  std::unique_ptr<FeatureEncoder> encoder;
  cachelib::Decision current;
  std::unique_ptr<cachelib::JointGreedyController> expert;
  std::optional<cachelib::Decision> staticExpert;  // hindsight expert chose this static decision
  std::string expertChoice;
};

ReplayEpisode::ReplayEpisode(std::shared_ptr<const std::vector<cachelib::Request>> requests, const EnvSettings& settings,
                             double switchPenalty, std::string label)
    : ReplayEpisode(requests, makeEnvConfig(*requests, settings), switchPenalty, std::move(label)) {}

ReplayEpisode::ReplayEpisode(std::shared_ptr<const std::vector<cachelib::Request>> requests,
                             const cachelib::ReplayEnvConfig& config, double switchPenalty, std::string label)
    : state_(std::make_unique<State>()), label_(std::move(label)) {
  state_->config = config;
  state_->requests = std::move(requests);
  state_->switchPenalty = switchPenalty;
  double bytes = 0.0;
  for (const auto& r : *state_->requests) bytes += double(r.sizeBytes);
  const double windows = std::max(
      1.0, double(state_->requests->size()) / double(std::max<std::uint64_t>(1, config.context.window.requests)));
  state_->egressUnitDollars = std::max(cachelib::egressDollars(config.context.prices, bytes) / windows, 1e-12);
  state_->unitDollars = state_->egressUnitDollars;
  state_->windows = windows;
}

double ReplayEpisode::rewardUnitDollars() const noexcept { return state_->unitDollars; }

ReplayEpisode::~ReplayEpisode() = default;

const cachelib::ReplayEnvConfig& ReplayEpisode::config() const noexcept { return state_->config; }

Observation ReplayEpisode::begin() {
  State& s = *state_;
  if (baselineUnit_) {
    // Scale-free across workloads: a window costing what joint-greedy's
    // average window costs is worth -1, whatever the prices, rates or sizes.
    const double base = baselineCostDollars() / s.windows;
    s.unitDollars = std::isfinite(base) && base > 1e-12 ? base : s.egressUnitDollars;
  }
  if (hindsightExpert_ && s.expertChoice.empty()) {
    // The best static decision in hindsight, against joint-greedy: on
    // workloads where holding a capacity pays over many windows (and a
    // myopic controller shrinks away contents it needs later), this is
    // the better teacher.
    cachelib::ReplayEnvConfig plain = s.config;
    plain.features = false;
    double best = std::numeric_limits<double>::infinity();
    cachelib::Decision bestDecision;
    for (const auto id : s.ids)
      for (const auto capacity : s.config.context.window.capacityGrid) {
        cachelib::StaticController fixed(cachelib::Decision{capacity, id});
        const double cost = cachelib::runControlled(*s.requests, fixed, plain).cost.total();
        if (cost < best) best = cost, bestDecision = cachelib::Decision{capacity, id};
      }
    const double greedy = baselineCostDollars();
    if (best < greedy) s.staticExpert = bestDecision;
    s.expertChoice = fmt::format("{} (best static {}@{} ${:.5f}, joint-greedy ${:.5f})",
                                 s.staticExpert ? "static" : "joint-greedy",
                                 policyLabel(bestDecision.policy), bestDecision.capacityBytes, best, greedy);
  }
  s.env = std::make_unique<cachelib::WindowedReplay>(*s.requests, s.config);
  s.encoder = std::make_unique<FeatureEncoder>(s.config.context, s.ids);
  s.current = initialDecision(s.config.context);
  s.expert = std::make_unique<cachelib::JointGreedyController>(cachelib::JointGreedyController::Options{});
  (void)s.expert->start(s.config.context);
  Observation obs;
  if (!s.env->done()) (void)s.env->step(s.current);  // the first window runs on the initial decision
  s.encoder->encode(s.env->features(), obs);
  return obs;
}

StepOutcome ReplayEpisode::step(const Action& action) {
  State& s = *state_;
  StepOutcome o;
  if (s.env->done()) {
    o.done = true;
    o.next.global.assign(kGlobalDims, 0.0f);
    o.next.perPolicy.assign(s.ids.size() * kPerPolicyDims, 0.0f);
    return o;
  }
  const cachelib::Decision d{capacityFromAction(s.config.context, action.capacityAction),
                             s.ids.at(std::min(action.policyIndex, s.ids.size() - 1))};
  const bool switched = d.policy != s.current.policy;
  s.current = d;
  const cachelib::WindowRecord rec = s.env->step(d);
  o.costDollars = rec.cost.total();
  o.reward = -rec.cost.total() / s.unitDollars - (switched ? s.switchPenalty : 0.0);
  s.encoder->encode(s.env->features(), o.next);
  o.done = s.env->done();
  return o;
}

double ReplayEpisode::costDollars() const {
  return state_->env ? state_->env->meter().cost(state_->config.context.prices).total() : std::nan("");
}

std::string ReplayEpisode::expertChoice() const { return state_->expertChoice; }

bool ReplayEpisode::expertAction(Action& out) {
  State& s = *state_;
  if (!s.env || !s.expert) return false;
  const cachelib::Decision d = s.staticExpert ? *s.staticExpert : s.expert->decide(s.env->features());
  const auto it = std::find(s.ids.begin(), s.ids.end(), d.policy);
  out.policyIndex = it == s.ids.end() ? 0 : std::size_t(it - s.ids.begin());
  out.capacityAction = actionFromCapacity(s.config.context, double(d.capacityBytes));
  return true;
}

double ReplayEpisode::computeBaselineCost() const {
  cachelib::JointGreedyController greedy(cachelib::JointGreedyController::Options{});
  return cachelib::runControlled(*state_->requests, greedy, state_->config).cost.total();
}

double ReplayEpisode::baselineCostDollars() { return baseline_ ? baseline_() : computeBaselineCost(); }

namespace {

void emit(const TrainConfig& c, const std::string& line) {
  if (c.log) c.log(line);
  else std::fprintf(stderr, "%s\n", line.c_str());
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return cachelib::mixKey(a * 0x9e3779b97f4a7c15ull + cachelib::mixKey(b));
}

struct EpisodeResult {
  std::string label;
  Result<RolloutResult> rollout = Result<RolloutResult>::error("not run");
  double baseline = std::nan("");
  std::string expertChoice;  // imitation: whom the episode's expert copied
};

// Runs episodes [first, first + count) on `jobs` threads; slot i of the result
// is episode first + i whatever thread ran it.
std::vector<EpisodeResult> runEpisodes(const ActorCritic& model, const TrainConfig& c, const EpisodeFactory& make,
                                       std::size_t first, std::size_t count, RolloutMode mode, std::uint64_t salt) {
  std::vector<EpisodeResult> results(count);
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      auto ep = make(first + i);
      Rng rng(mix(mix(c.seed, salt), first + i));
      results[i].label = ep->label();
      results[i].rollout = rollout(model, *ep, rng, c.gamma, c.gaeLambda, mode);
      if (mode == RolloutMode::kExpert)
        if (auto* replay = dynamic_cast<ReplayEpisode*>(ep.get())) results[i].expertChoice = replay->expertChoice();
      // An imitation episode is joint-greedy's own run: no second replay.
      if (mode == RolloutMode::kExpert && results[i].rollout) results[i].baseline = results[i].rollout->totalCostDollars;
      else if (c.compareGreedy) results[i].baseline = ep->baselineCostDollars();
    }
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(c.jobs, unsigned(count)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return results;
}

std::string ratioText(double cost, double baseline) {
  if (!std::isfinite(baseline) || baseline <= 0) return fmt::format("cost ${:.4f}", cost);
  return fmt::format("cost ${:.4f} vs joint-greedy ${:.4f} ({:.3f}x)", cost, baseline, cost / baseline);
}

}  // namespace

Result<TrainReport> trainLoop(ActorCritic& model, const TrainConfig& c, const EpisodeFactory& makeEpisode,
                              const EpisodeFactory& makeEval, std::size_t evalEpisodes) {
  using R = Result<TrainReport>;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  TrainReport report;
  report.bestEvalRatio = std::numeric_limits<double>::infinity();
  std::map<std::string, std::string> meta = {{"command", c.command},
                                             {"seed", std::to_string(c.seed)},
                                             {"gamma", fmt::format("{}", c.gamma)},
                                             {"gae_lambda", fmt::format("{}", c.gaeLambda)},
                                             {"switch_penalty", fmt::format("{}", c.switchPenalty)}};
  // Which data the model saw (RESULTS.md states it per model).
  auto names = [](const std::vector<std::string>& v) {
    std::string out;
    for (const auto& x : v) {
      if (!out.empty()) out += ',';
      out.append(x, x.find_last_of('/') + 1);
    }
    return out.empty() ? std::string("none") : out;
  };
  if (c.imitationEpisodes > 0)
    meta["imitation_expert"] = c.imitationExpert == ImitationExpert::kHindsightBest ? "hindsight" : "greedy";
  meta["reward_unit"] = c.rewardUnit == RewardUnit::kBaselineCost ? "greedy" : "egress";
  meta["training_synthetic"] = names(c.synthetic) + (c.randomizeWorkloads ? " (randomized workloads)" : "");
  meta["training_traces"] = names(c.traceFiles);
  if (!c.heldOut.empty()) meta["held_out"] = names(c.heldOut);
  auto save = [&](const std::string& why) -> Status {
    if (c.out.empty()) return Status::ok();
    meta["episodes"] = std::to_string(report.episodes);
    meta["updates"] = std::to_string(report.updates);
    if (std::isfinite(report.bestEvalRatio)) meta["eval_cost_vs_joint_greedy"] = fmt::format("{:.4f}", report.bestEvalRatio);
    auto st = model.save(c.out, meta);
    if (st) emit(c, fmt::format("checkpoint: wrote {} ({})", c.out, why));
    return st;
  };
  auto evaluate = [&]() -> Result<double> {
    auto results = runEpisodes(model, c, makeEval, 0, evalEpisodes, RolloutMode::kDeterministic, 0xe7a1);
    double cost = 0.0, base = 0.0, ratios = 0.0;
    std::string detail;
    for (auto& e : results) {
      if (!e.rollout) return e.rollout.status();
      cost += e.rollout->totalCostDollars;
      base += e.baseline;
      ratios += e.rollout->totalCostDollars / e.baseline;
      detail += fmt::format(" {}={:.3f}x", e.label, e.rollout->totalCostDollars / e.baseline);
    }
    // Model selection uses the mean per-trace ratio, so a trace with a large
    // bill (video) does not drown the others.
    const double meanRatio = ratios / double(std::max<std::size_t>(1, results.size()));
    emit(c, fmt::format("eval (deterministic, held-out seeds): mean ratio {:.4f}, {} |{}", meanRatio,
                        ratioText(cost, base), detail));
    return std::isfinite(meanRatio) ? meanRatio : cost;
  };

  if (c.imitationEpisodes > 0) {
    // Behaviour-cloning warm start on joint-greedy's own episodes: PPO then
    // starts from the baseline's behaviour instead of a uniform policy.
    // Episode numbers after the PPO ones: the demonstrations and the PPO
    // episodes are different workloads/segments.
    auto results = runEpisodes(model, c, makeEpisode, c.episodes, c.imitationEpisodes, RolloutMode::kExpert, 0xb0c);
    std::vector<PpoSample> demos;
    double cost = 0.0;
    for (auto& e : results) {
      if (!e.rollout) return R::error("imitation episode (" + e.label + "): " + e.rollout.message());
      cost += e.rollout->totalCostDollars;
      if (!e.expertChoice.empty()) emit(c, fmt::format("demonstration {}: {}", e.label, e.expertChoice));
      for (auto& o : e.rollout->rawObservations) model.observeForNorm(o);
    }
    for (auto& e : results) {
      auto& r = e.rollout.value();
      for (std::size_t t = 0; t < r.samples.size(); ++t) {
        r.samples[t].obs = r.rawObservations[t];
        model.normalise(r.samples[t].obs);
        demos.push_back(std::move(r.samples[t]));
      }
    }
    ImitationConfig ic;
    ic.epochs = c.imitationEpochs;
    auto nll = model.imitationUpdate(demos, ic, mix(c.seed, 0xb0c));
    if (!nll) return nll.status();
    emit(c, fmt::format("imitation: {} {} episodes (${:.4f}), {} samples, {} epochs, final NLL {:.3f} | {:.0f}s",
                        results.size(),
                        c.imitationExpert == ImitationExpert::kHindsightBest ? "hindsight-expert" : "joint-greedy",
                        cost, demos.size(), ic.epochs, nll.value(), elapsed()));
    if (evalEpisodes > 0) {
      auto ratio = evaluate();
      if (!ratio) return ratio.status();
      report.bestEvalRatio = ratio.value();
      if (auto st = save(fmt::format("after imitation, eval {:.4f}", ratio.value())); !st) return st;
    }
  }

  std::size_t done = 0;
  const std::size_t perUpdate = std::max<std::size_t>(1, c.episodesPerUpdate);
  while (done < c.episodes) {
    const std::size_t count = std::min(perUpdate, c.episodes - done);
    auto results = runEpisodes(model, c, makeEpisode, done, count, RolloutMode::kSample, 0x7a1);
    std::vector<PpoSample> batch;
    double rewardSum = 0.0, costSum = 0.0, baseSum = 0.0;
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto& e = results[i];
      if (!e.rollout) return R::error("episode " + std::to_string(done + i + 1) + " (" + e.label + "): " + e.rollout.message());
      auto& r = e.rollout.value();
      emit(c, fmt::format("episode {}/{} {}: reward {:.3f} over {} windows, {}", done + i + 1, c.episodes, e.label,
                          r.totalReward, r.steps, ratioText(r.totalCostDollars, e.baseline)));
      rewardSum += r.totalReward;
      costSum += r.totalCostDollars;
      baseSum += e.baseline;
      for (auto& o : r.rawObservations) model.observeForNorm(o);
      for (auto& s : r.samples) batch.push_back(std::move(s));
    }
    done += count;
    auto stats = model.ppoUpdate(batch, c.ppo, mix(c.seed, report.updates + 1));
    if (!stats) return stats.status();
    ++report.updates;
    report.episodes = done;
    const double meanReward = rewardSum / double(count);
    if (report.updates == 1) report.firstRoundReward = meanReward;
    report.lastRoundReward = meanReward;
    emit(c, fmt::format("update {}: mean reward {:.3f}, {} | H(policy) {:.3f} H(capacity) {:.3f} kl {:.4f} "
                        "clip {:.2f} value-loss {:.4f} epochs {} | {:.0f}s",
                        report.updates, meanReward, ratioText(costSum, baseSum), stats->entropyPolicy,
                        stats->entropyCapacity, stats->approxKl, stats->clipFraction, stats->valueLoss,
                        stats->epochsRun, elapsed()));
    const bool last = done >= c.episodes;
    if (c.evalEvery > 0 && evalEpisodes > 0 && (report.updates % c.evalEvery == 0 || last)) {
      auto ratio = evaluate();
      if (!ratio) return ratio.status();
      if (ratio.value() < report.bestEvalRatio || !c.keepBest) {
        report.bestEvalRatio = std::min(report.bestEvalRatio, ratio.value());
        if (auto st = save(fmt::format("update {}, eval {:.4f}", report.updates, ratio.value())); !st) return st;
      }
    } else if (last || (c.evalEvery == 0 && report.updates % 5 == 0)) {
      if (auto st = save(fmt::format("update {}", report.updates)); !st) return st;
    }
  }
  report.seconds = elapsed();
  return report;
}

namespace {

struct Source {
  std::string preset;  // synthetic preset, or "" for a file
  std::uint64_t seed = 0;
  std::shared_ptr<const std::vector<cachelib::Request>> file;  // loaded file trace
  std::string fileName;
  bool fileHasTimes = true;
  bool evaluation = false;  // evaluation episode: the whole trace / a fixed workload
};

}  // namespace

Result<TrainReport> train(const TrainConfig& c) {
  using R = Result<TrainReport>;
  auto files = foldTrainingTraces(c.traceFiles, c.heldOut);
  if (!files) return files.status();
  if (c.synthetic.empty() && files->empty()) return R::error("no training traces: give --trace or --synthetic");
  if (auto st = c.env.prices.check(); !st) return st;
  std::vector<Source> train, eval;
  for (const auto& p : c.synthetic) {
    auto preset = traces::syntheticPreset(p);
    if (!preset) return preset.status();
  }
  if (c.randomizeWorkloads) {
    // One source per preset; each episode draws its own workload from
    // (seed, episode number), evaluation workloads from a separate stream.
    for (const auto& p : c.synthetic) train.push_back(Source{p, 0, nullptr, "", true, false});
    for (std::size_t j = 0; j < std::max<std::size_t>(1, c.evalWorkloadsPerPreset); ++j)
      for (std::size_t p = 0; p < c.synthetic.size(); ++p)
        eval.push_back(
            Source{c.synthetic[p], mix(mix((c.evalSeed != 0 ? c.evalSeed : c.seed) ^ 0xe7a1, j), p), nullptr, "", true, true});
  } else {
    // Seeds seed*1000 + 1..N train, seed*1000 + 999 evaluates; the bench's
    // default seed 42 is never among them.
    for (std::size_t j = 1; j <= std::max<std::size_t>(1, c.syntheticSeeds); ++j)
      for (const auto& p : c.synthetic) train.push_back(Source{p, c.seed * 1000 + j, nullptr, "", true, false});
    for (const auto& p : c.synthetic) eval.push_back(Source{p, c.seed * 1000 + 999, nullptr, "", true, true});
  }
  for (const auto& path : files.value()) {
    auto t = traces::readTrace(path);
    if (!t) return t.status();
    if (t->requests.empty()) return R::error(path + ": no requests");
    Source s;
    s.file = std::make_shared<const std::vector<cachelib::Request>>(std::move(t->requests));
    s.fileName = path.substr(path.find_last_of('/') + 1);
    s.fileHasTimes = t->hasTimestamps;
    train.push_back(s);
    s.evaluation = true;
    eval.push_back(s);
  }

  // Baseline costs by episode label, computed once (joint-greedy is deterministic).
  auto baselines = std::make_shared<std::map<std::string, double>>();
  auto baselineMutex = std::make_shared<std::mutex>();
  auto build = [&c, baselines, baselineMutex](const Source& s, std::uint64_t segmentSeed) -> std::unique_ptr<Episode> {
    EnvSettings env = c.env;
    std::shared_ptr<const std::vector<cachelib::Request>> requests;
    std::string label;
    if (!s.preset.empty()) {
      auto cfg = traces::syntheticPreset(s.preset).value();
      if (c.randomizeWorkloads) {
        const auto w = sampleWorkload(cfg, c.randomization, s.evaluation ? s.seed : segmentSeed);
        cfg = w.config;
        env.windowRequests = w.windowRequests;
        label = fmt::format("{}~(seed={}, {} requests, {} objects, {:.3g} req/s, window {})", s.preset, cfg.seed,
                            cfg.requests, cfg.objects, cfg.meanRequestsPerSecond, w.windowRequests);
      } else {
        cfg.seed = s.seed;
        if (c.syntheticRequests) cfg.requests = c.syntheticRequests;
        label = fmt::format("{}(seed={})", s.preset, s.seed);
      }
      requests = std::make_shared<const std::vector<cachelib::Request>>(traces::generateSynthetic(cfg));
    } else {
      const auto& all = *s.file;
      std::size_t begin = 0, end = all.size();
      if (s.evaluation) {
        env.windowRequests = windowForTrace(all.size(), env.windowRequests);
      } else if (c.randomizeWorkloads) {
        const auto seg = sampleTraceSegment(all.size(), c.randomization, segmentSeed);
        begin = seg.begin, end = seg.end;
        env.windowRequests = seg.windowRequests;
      } else {
        const std::size_t len = std::min<std::size_t>(all.size(), std::max<std::uint64_t>(1, c.segmentRequests));
        const std::size_t segments = all.size() / len;
        const std::size_t index = segments > 1 ? std::size_t(segmentSeed % segments) : 0;
        begin = index * len, end = begin + len;
        env.windowRequests = windowForTrace(len, env.windowRequests);
      }
      requests = begin == 0 && end == all.size()
                     ? s.file
                     : std::make_shared<const std::vector<cachelib::Request>>(all.begin() + std::ptrdiff_t(begin),
                                                                              all.begin() + std::ptrdiff_t(end));
      label = fmt::format("{}[{}..{}) window {}", s.fileName, begin, end, env.windowRequests);
      if (!s.fileHasTimes && env.requestRate <= 0) env.requestRate = 1000.0;
    }
    auto ep = std::make_unique<ReplayEpisode>(requests, env, c.switchPenalty, label);
    ep->setBaselineRewardUnit(c.rewardUnit == RewardUnit::kBaselineCost);
    ep->setHindsightExpert(c.imitationExpert == ImitationExpert::kHindsightBest);
    ReplayEpisode* raw = ep.get();
    ep->setBaselineCache([raw, label, baselines, baselineMutex] {
      {
        std::lock_guard lock(*baselineMutex);
        if (auto it = baselines->find(label); it != baselines->end()) return it->second;
      }
      const double cost = raw->computeBaselineCost();
      std::lock_guard lock(*baselineMutex);
      (*baselines)[label] = cost;
      return cost;
    });
    return ep;
  };
  EpisodeFactory makeTrain = [&](std::size_t i) { return build(train[i % train.size()], mix(c.seed, i)); };
  EpisodeFactory makeEval = [&](std::size_t i) { return build(eval[i], 0); };

  auto model = ActorCritic::create(c.architecture, c.seed);
  if (!model) return model.status();
  emit(c, fmt::format("training {} episodes ({} per update) over {} sources ({} trace files{}), seed {}, {} jobs; "
                      "architecture {}",
                      c.episodes, c.episodesPerUpdate, train.size(), files->size(),
                      c.randomizeWorkloads ? ", randomized workloads" : "", c.seed, c.jobs,
                      c.architecture.describe()));
  TrainConfig folded = c;
  folded.traceFiles = files.value();
  return trainLoop(*model.value(), folded, makeTrain, makeEval, c.evalEvery > 0 ? eval.size() : 0);
}

}  // namespace edgecache::agent
