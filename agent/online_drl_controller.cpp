#include "agent/online_drl_controller.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <system_error>

#include <fmt/core.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/features.h"
#include "agent/ppo_trainer.h"

namespace edgecache::agent {

using cachelib::Request;

namespace {

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  return cachelib::mixKey(a * 0x9e3779b97f4a7c15ull + cachelib::mixKey(b));
}

// A ReplayEpisode that ends as soon as `stop` turns true, so a fine-tune can
// be abandoned within one replay window (the destructor waits no longer).
class StoppableEpisode final : public Episode {
 public:
  StoppableEpisode(std::shared_ptr<const std::vector<Request>> window, const cachelib::ReplayEnvConfig& env,
                   double switchPenalty, const std::atomic<bool>* stop)
      : inner_(std::move(window), env, switchPenalty, "online window"), stop_(stop) {}
  Observation begin() override { return inner_.begin(); }
  StepOutcome step(const Action& action) override {
    if (stopped()) {
      StepOutcome o;
      o.done = true;
      o.next.global.assign(kGlobalDims, 0.0f);
      o.next.perPolicy.assign(actionPolicyIds().size() * kPerPolicyDims, 0.0f);
      return o;
    }
    return inner_.step(action);
  }
  std::string label() const override { return inner_.label(); }
  double costDollars() const override { return inner_.costDollars(); }
  bool stopped() const noexcept { return stop_ != nullptr && stop_->load(std::memory_order_relaxed); }

 private:
  ReplayEpisode inner_;
  const std::atomic<bool>* stop_;
};

}  // namespace

FineTuneResult fineTuneOnWindow(const ActorCritic& current, std::shared_ptr<const std::vector<Request>> window,
                                const cachelib::ReplayEnvConfig& env, const FineTuneConfig& c, std::uint64_t seed,
                                const std::atomic<bool>* stop) {
  const auto t0 = std::chrono::steady_clock::now();
  FineTuneResult r;
  auto finish = [&](FineTuneResult::Outcome outcome, std::string error = {}) {
    r.outcome = outcome;
    r.error = std::move(error);
    if (outcome != FineTuneResult::Outcome::kPublished) r.candidate.reset();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return r;
  };
  auto stopped = [stop] { return stop != nullptr && stop->load(std::memory_order_relaxed); };
  if (!window || window->empty()) return finish(FineTuneResult::Outcome::kFailed, "empty request window");
  try {
    // The published model is shared and immutable: train a copy of it (the
    // model-file round trip copies weights and normaliser exactly; the
    // normaliser stays frozen so inputs keep their meaning).
    auto copy = ActorCritic::fromModelFile(current.toModelFile({}), "fine-tune copy");
    if (!copy) return finish(FineTuneResult::Outcome::kFailed, copy.message());
    std::shared_ptr<ActorCritic> candidate = std::move(copy.value());

    for (std::size_t u = 0; u < c.updates; ++u) {
      std::vector<PpoSample> batch;
      for (std::size_t e = 0; e < c.episodesPerUpdate; ++e) {
        StoppableEpisode episode(window, env, c.switchPenalty, stop);
        Rng rng(mix(seed, u * c.episodesPerUpdate + e + 1));
        auto ro = rollout(*candidate, episode, rng, c.gamma, c.gaeLambda, RolloutMode::kSample);
        if (!ro) return finish(FineTuneResult::Outcome::kFailed, ro.message());
        if (stopped()) return finish(FineTuneResult::Outcome::kCancelled);
        for (auto& s : ro->samples) batch.push_back(std::move(s));
      }
      auto st = candidate->ppoUpdate(batch, c.ppo, mix(seed, 0x5eed0000 + u));
      if (!st) return finish(FineTuneResult::Outcome::kFailed, st.message());
    }

    // The safeguard: both models, deterministically, on the same window.
    auto costOf = [&](const ActorCritic& model) -> cachelib::Result<double> {
      StoppableEpisode episode(window, env, c.switchPenalty, stop);
      Rng unused(0);
      auto ro = rollout(model, episode, unused, c.gamma, c.gaeLambda, RolloutMode::kDeterministic);
      if (!ro) return ro.status();
      return ro->totalCostDollars;
    };
    auto before = costOf(current);
    if (!before) return finish(FineTuneResult::Outcome::kFailed, before.message());
    auto after = costOf(*candidate);
    if (!after) return finish(FineTuneResult::Outcome::kFailed, after.message());
    if (stopped()) return finish(FineTuneResult::Outcome::kCancelled);
    r.currentCostDollars = before.value();
    r.candidateCostDollars = after.value();
    if (!(r.candidateCostDollars <= r.currentCostDollars * (1.0 + c.publishTolerance)))
      return finish(FineTuneResult::Outcome::kRejected);
    r.candidate = std::move(candidate);
    return finish(FineTuneResult::Outcome::kPublished);
  } catch (const std::exception& e) {
    // rollout/ppoUpdate report torch errors as Results; this is bad_alloc & co.
    return finish(FineTuneResult::Outcome::kFailed, std::string("fine-tune failed: ") + e.what());
  }
}

RequestRing::RequestRing(std::size_t capacity) : capacity_(std::max<std::size_t>(1, capacity)) { open_.reserve(kChunk); }

std::size_t RequestRing::size() const noexcept { return std::min(capacity_, sealed_.size() * kChunk + open_.size()); }

void RequestRing::push(const Request& r) {
  open_.push_back(Request{r.timeSeconds, r.key, r.sizeBytes, cachelib::kNoNextAccess});
  if (open_.size() < kChunk) return;
  sealed_.push_back(std::make_shared<const std::vector<Request>>(std::move(open_)));
  open_ = {};
  open_.reserve(kChunk);
  // Keep just enough whole chunks to cover the capacity.
  while (!sealed_.empty() && (sealed_.size() - 1) * kChunk >= capacity_) sealed_.pop_front();
}

RequestRing::Snapshot RequestRing::last(std::size_t n) const {
  Snapshot out;
  n = std::min(n, size());
  std::size_t have = std::min(n, open_.size());
  std::size_t first = sealed_.size();
  while (have < n && first > 0) have += sealed_[--first]->size();
  out.chunks.assign(sealed_.begin() + std::ptrdiff_t(first), sealed_.end());
  out.tail.assign(open_.end() - std::ptrdiff_t(std::min(n, open_.size())), open_.end());
  out.skip = have - n;
  return out;
}

std::vector<Request> RequestRing::Snapshot::assemble() const {
  std::vector<Request> out;
  std::size_t total = tail.size();
  for (const auto& c : chunks) total += c->size();
  out.reserve(total - std::min(total, skip));
  std::size_t toSkip = skip;
  auto append = [&](const std::vector<Request>& v) {
    const std::size_t drop = std::min(toSkip, v.size());
    toSkip -= drop;
    out.insert(out.end(), v.begin() + std::ptrdiff_t(drop), v.end());
  };
  for (const auto& c : chunks) append(*c);
  append(tail);
  return out;
}

cachelib::Result<std::unique_ptr<OnlineDrlController>> OnlineDrlController::load(const std::string& modelPath,
                                                                                 Options options) {
  auto model = ActorCritic::load(modelPath);
  if (!model) return model.status();
  return std::make_unique<OnlineDrlController>(std::shared_ptr<const ActorCritic>(std::move(model.value())),
                                               std::filesystem::path(modelPath).filename().string(),
                                               std::move(options));
}

OnlineDrlController::OnlineDrlController(std::shared_ptr<const ActorCritic> model, std::string modelName,
                                         Options options)
    : modelName_(std::move(modelName)), options_(std::move(options)), detector_(options_.drift), model_(std::move(model)) {}

OnlineDrlController::~OnlineDrlController() {
  {
    std::lock_guard lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string OnlineDrlController::name() const { return options_.label + ":" + modelName_; }

std::string OnlineDrlController::summary() const {
  const OnlineStats s = stats();
  return fmt::format("fine-tunes ({}): {} published, {} rejected, {} skipped (busy), {} failed{}; {:.1f} s training; "
                     "{} drift alarms; W {}..{} requests{}",
                     options_.inlineFineTune ? "inline" : "background", s.published, s.rejected, s.skipped, s.failed,
                     busy_.load() ? ", 1 running" : "", s.fineTuneSeconds, s.drifts, s.minWindowSeen, s.maxWindowSeen,
                     s.replayWindowRequests > 0 && s.replayWindowRequests != context_.window.requests
                         ? fmt::format(" (last replay: {} requests in live windows of {})", s.replayRequests,
                                       s.replayWindowRequests)
                         : std::string());
}

std::vector<cachelib::ControllerEvent> OnlineDrlController::events() const {
  const OnlineStats s = stats();
  return {{"finetune_published", s.published},
          {"finetune_rejected", s.rejected},
          {"finetune_skipped", s.skipped},
          {"finetune_failed", s.failed},
          {"drift_alarm", s.drifts}};
}

OnlineStats OnlineDrlController::stats() const {
  OnlineStats s;
  s.published = published_.load();
  s.rejected = rejected_.load();
  s.skipped = skipped_.load();
  s.failed = failed_.load();
  s.drifts = drifts_.load();
  s.windowRequests = window_.load();
  s.minWindowSeen = minWindowSeen_.load();
  s.maxWindowSeen = maxWindowSeen_.load();
  s.fineTuneSeconds = fineTuneSeconds_.load();
  s.replayWindowRequests = replayWindow_.load();
  s.replayRequests = replayRequests_.load();
  return s;
}

void OnlineDrlController::setWindow(std::uint64_t w) {
  window_.store(w);
  if (minWindowSeen_.load() == 0 || w < minWindowSeen_.load()) minWindowSeen_.store(w);
  if (w > maxWindowSeen_.load()) maxWindowSeen_.store(w);
}

cachelib::Decision OnlineDrlController::start(const cachelib::ControlContext& context) {
  waitIdle();  // a restart must not race a fine-tune of the previous run
  context_ = context;
  encoder_ = std::make_unique<FeatureEncoder>(context, actionPolicyIds());
  const std::uint64_t perWindow = std::max<std::uint64_t>(1, context.window.requests);
  maxWindow_ = options_.maxWindowRequests ? options_.maxWindowRequests : 32 * perWindow;
  minWindow_ = std::min(maxWindow_, options_.minWindowRequests ? options_.minWindowRequests : 4 * perWindow);
  const std::uint64_t initial = options_.initialWindowRequests ? options_.initialWindowRequests : 8 * perWindow;
  ring_ = std::make_unique<RequestRing>(std::size_t(maxWindow_));
  minWindowSeen_.store(0);
  maxWindowSeen_.store(0);
  setWindow(std::clamp(initial, minWindow_, maxWindow_));
  detector_.reset();
  windowsSinceTune_ = windowsSinceStart_ = 0;
  driftSinceTune_ = false;
  observedSeconds_ = observedRequests_ = 0.0;
  liveWindowRequests_.clear();
  replayWindow_.store(0);
  replayRequests_.store(0);
  current_ = initialDecision(context);
  return current_;
}

void OnlineDrlController::observe(std::span<const Request> requests) {
  if (!ring_) start(context_);
  for (const Request& r : requests) ring_->push(r);
}

cachelib::Decision OnlineDrlController::decide(const cachelib::WindowFeatures& features) {
  if (!encoder_) start(context_);
  // The decision first, from whatever model is published now (one atomic load).
  const std::shared_ptr<const ActorCritic> model = model_.load(std::memory_order_acquire);
  Observation obs;
  encoder_->encode(features, obs);
  auto out = model->evaluate(obs);
  if (out) {
    const Action a = deterministicAction(out.value());
    const auto ids = actionPolicyIds();
    current_ = cachelib::Decision{capacityFromAction(context_, a.capacityAction), ids.at(a.policyIndex)};
  } else {
    lastError_ = out.message();
  }

  // Then the sliding-window bookkeeping.
  if (features.durationSeconds > 0 && std::isfinite(features.durationSeconds)) {
    observedSeconds_ += features.durationSeconds;
    observedRequests_ += double(features.requests);
  }
  if (windowsSinceStart_ > 0 && features.requests > 0) {  // not the short first window
    liveWindowRequests_.push_back(features.requests);
    if (liveWindowRequests_.size() > 32) liveWindowRequests_.pop_front();
  }
  if (++windowsSinceStart_ > options_.driftWarmupWindows && detector_.add(windowDriftSignal(features))) {
    drifts_.fetch_add(1);
    setWindow(minWindow_);
    driftSinceTune_ = true;
  }
  if (options_.retrainEveryWindows > 0 && ++windowsSinceTune_ >= options_.retrainEveryWindows) {
    windowsSinceTune_ = 0;
    if (!driftSinceTune_) setWindow(std::min(maxWindow_, 2 * window_.load()));  // stationary: look further back
    driftSinceTune_ = false;
    (void)schedule();
  }
  return current_;
}

std::uint64_t OnlineDrlController::replayWindowRequests() const {
  const std::uint64_t configured = std::max<std::uint64_t>(1, context_.window.requests);
  if (liveWindowRequests_.empty() || context_.window.seconds > 0) return configured;
  std::vector<std::uint64_t> lengths(liveWindowRequests_.begin(), liveWindowRequests_.end());
  const auto mid = lengths.begin() + static_cast<std::ptrdiff_t>(lengths.size() / 2);
  std::nth_element(lengths.begin(), mid, lengths.end());
  return std::max<std::uint64_t>(1, *mid);
}

bool OnlineDrlController::requestFineTune() {
  if (!ring_) return false;
  return schedule();
}

bool OnlineDrlController::schedule() {
  if (busy_.load()) {
    skipped_.fetch_add(1);
    return false;
  }
  const std::uint64_t perWindow = replayWindowRequests();
  // W is kept in requests of the configured window (its bounds are 4, 8
  // and 32 of them); it means that many *windows*, so where live windows
  // are shorter (the proxy closes them by time too) it covers as many
  // live windows: W x live / configured requests.
  const double scale = double(perWindow) / double(std::max<std::uint64_t>(1, context_.window.requests));
  const auto w = static_cast<std::size_t>(std::llround(double(window_.load()) * scale));
  const std::size_t n = std::min<std::size_t>(w, ring_->size());
  // An episode needs a first window plus at least one decided window.
  if (n < 2 * perWindow) return false;
  Job job;
  job.window = ring_->last(n);
  job.env.context = context_;
  job.env.context.window.requests = perWindow;
  job.fallbackRate = observedSeconds_ > 0 ? observedRequests_ / observedSeconds_ : 1000.0;
  job.seed = mix(options_.seed, ++fineTunes_);
  busy_.store(true);
  if (options_.inlineFineTune) {
    runJobCounted(job);
    markIdle();
    return true;
  }
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread([this] { worker(); });
    } catch (const std::system_error&) {  // no thread: skip this fine-tune, keep deciding
      failed_.fetch_add(1);
      markIdle();
      return false;
    }
  }
  {
    std::lock_guard lock(mutex_);
    job_ = std::move(job);
    hasJob_ = true;
  }
  wake_.notify_one();
  return true;
}

void OnlineDrlController::runJob(const Job& job) {
  if (options_.onFineTuneStart) options_.onFineTuneStart();
  auto window = std::make_shared<const std::vector<Request>>(job.window.assemble());
  cachelib::ReplayEnvConfig env = job.env;
  // Traces without timestamps (all times equal): replay at the request rate
  // the windows' durations showed, so rental is charged as it was.
  if (!window->empty() && window->back().timeSeconds <= window->front().timeSeconds) env.requestRate = job.fallbackRate;
  const std::shared_ptr<const ActorCritic> current = model_.load(std::memory_order_acquire);
  replayWindow_.store(env.context.window.requests);  // what this replay cuts its windows by
  replayRequests_.store(window->size());
  FineTuneResult r = fineTuneOnWindow(*current, window, env, options_.fineTune, job.seed, &stop_);
  fineTuneSeconds_.fetch_add(r.seconds);
  switch (r.outcome) {
    case FineTuneResult::Outcome::kPublished:
      model_.store(std::move(r.candidate), std::memory_order_release);
      version_.fetch_add(1);
      published_.fetch_add(1);
      break;
    case FineTuneResult::Outcome::kRejected:
      rejected_.fetch_add(1);
      break;
    case FineTuneResult::Outcome::kCancelled:
    case FineTuneResult::Outcome::kFailed:
      failed_.fetch_add(1);
      break;
  }
}

// A fine-tune that throws (out of memory assembling the window, a hook)
// counts as failed; it must neither leave the controller busy forever nor
// escape the training thread (std::terminate).
void OnlineDrlController::runJobCounted(const Job& job) noexcept {
  try {
    runJob(job);
  } catch (...) {
    failed_.fetch_add(1);
  }
}

void OnlineDrlController::worker() {
  // Linux niceness is per thread: training yields the core to the decision
  // thread (and the simulator or proxy) whenever they compete. Best effort.
  if (options_.trainerNice > 0)
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid)), options_.trainerNice);
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stop_.load() || hasJob_; });
      if (stop_.load()) break;
      job = std::move(job_);
      hasJob_ = false;
    }
    runJobCounted(job);
    markIdle();
  }
  markIdle();  // a job handed over but never started
}

void OnlineDrlController::markIdle() {
  {
    std::lock_guard lock(mutex_);
    busy_.store(false);
  }
  idle_.notify_all();
}

void OnlineDrlController::waitIdle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return !busy_.load(); });
}

}  // namespace edgecache::agent
