#pragma once
// OnlineDrlController: the DRL agent with online sliding-window fine-tuning
// (`drl[:FILE]` on command lines; `drl-frozen[:FILE]` is DrlController).
//
// What it does, per window (all on the caller's thread, cheap):
//  * observe(): appends every request (time, key, size) to a ring buffer
//    holding the last maxWindowRequests requests (in 4096-request chunks);
//  * decide(): the frozen controller's decision (encode, one forward pass,
//    deterministic action) from the *last published* model, then feeds the
//    drift detector (drift_detector.h) and, every retrainEveryWindows
//    windows, schedules a fine-tune on the last W requests.
// The sliding window W adapts: it doubles (up to maxWindowRequests) at every
// fine-tune with no drift alarm since the previous one, and falls back to
// minWindowRequests when the detector fires.
//
// A fine-tune (fineTuneOnWindow) trains a *copy* of the published model with
// a few short PPO updates (ppo_trainer.h's rollout + ActorCritic::ppoUpdate)
// on ReplayEpisodes that replay the W requests through cachelib's
// WindowedReplay under the controller's own ControlContext. The candidate is
// published only if its deterministic cost on that same window is not above
// the current model's (the safeguard); otherwise it is dropped.
//
// Threads: by default fine-tunes run on one background thread owned by the
// controller, started at the first fine-tune. Publication is an atomic
// std::shared_ptr store; decide() does one atomic load and never waits for
// training: it takes no lock that training holds (scheduling a fine-tune
// shares the ring's sealed chunks, copies the open one — at most 4096
// requests — and hands them over under a mutex the trainer only holds to
// pick the job up), and when a fine-tune is still running the next one is
// skipped (counted) rather than queued. (libstdc++'s atomic shared_ptr
// guards the pointer with a spin bit held only while a pointer is copied,
// never across training.) The training thread runs at a higher niceness
// (Options::trainerNice) so it yields the core to decisions. The destructor
// stops the running fine-tune between replay windows and joins the thread.
// Memory: the ring holds 32 bytes per request of maxWindowRequests (10 MB
// at the default 32 windows of 10 000); a fine-tune holds one more copy of
// its window plus one model copy.
// Options::inlineFineTune runs each fine-tune synchronously inside decide()
// instead (after the decision is taken, so the new model serves from the
// next window, as it would in the background): results are then
// deterministic for a given seed, which is what tests and the bench's
// reproducible numbers use.
//
// Thread safety: like every Controller, start/observe/decide come from one
// thread; stats(), modelVersion(), publishedModel(), waitIdle() and
// fineTuneRunning() may be called from any thread.
// Failure: decide() cannot fail (a failed forward keeps the previous
// decision; lastError() says why); a failed fine-tune is counted and the
// published model stays.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "agent/actor_critic.h"
#include "agent/drift_detector.h"
#include "cachelib/controller.h"
#include "cachelib/request.h"
#include "cachelib/status.h"
#include "cachelib/windowed_replay.h"

namespace edgecache::agent {

class FeatureEncoder;

struct FineTuneConfig {
  std::size_t updates = 2;            // PPO updates per fine-tune
  std::size_t episodesPerUpdate = 2;  // sampled replays of the window per update
  PpoConfig ppo = [] {
    PpoConfig c;
    c.learningRate = 1e-4;  // small steps: the model is already trained
    c.epochs = 4;
    c.entropyPolicy = 0.003;
    return c;
  }();
  double gamma = 0.9;          // as offline training
  double gaeLambda = 0.95;
  double switchPenalty = 0.01; // reward penalty per policy switch (units of the window's mean all-miss egress)
  // The candidate is published when its cost <= current cost x (1 + this).
  // 0 = never worse on the training window; +inf (tests) = always publish.
  double publishTolerance = 0.0;
};

struct FineTuneResult {
  enum class Outcome { kPublished, kRejected, kCancelled, kFailed };
  Outcome outcome = Outcome::kFailed;
  std::shared_ptr<const ActorCritic> candidate;  // set when kPublished
  double currentCostDollars = 0.0;    // deterministic replay of the window, current model
  double candidateCostDollars = 0.0;  // same, fine-tuned copy
  double seconds = 0.0;               // wall time of the whole fine-tune
  std::string error;                  // kFailed
};

// One fine-tune of a copy of `current` on `window` (replayed under `env`).
// Deterministic for a given seed. `stop` (may be null) is polled between
// replay windows; when it turns true the result is kCancelled.
FineTuneResult fineTuneOnWindow(const ActorCritic& current,
                                std::shared_ptr<const std::vector<cachelib::Request>> window,
                                const cachelib::ReplayEnvConfig& env, const FineTuneConfig& config, std::uint64_t seed,
                                const std::atomic<bool>* stop = nullptr);

// The last `capacity` requests (time, key, size; nextAccessIndex dropped),
// kept in sealed immutable chunks of kChunk requests plus one open chunk.
// A snapshot shares the sealed chunks and copies only the open one, so
// handing a window of any length to another thread costs O(kChunk + W /
// kChunk) on the owner's thread (copying 320 000 requests took 5-14 ms on
// the loaded test machine). Not synchronised: one owner thread; snapshots
// are immutable and may go to any thread.
class RequestRing {
 public:
  static constexpr std::size_t kChunk = 4096;  // requests (128 KiB)
  struct Snapshot {
    std::vector<std::shared_ptr<const std::vector<cachelib::Request>>> chunks;
    std::vector<cachelib::Request> tail;
    std::size_t skip = 0;  // leading requests of chunks[0] not in the window
    // The requests, oldest first (one contiguous copy).
    std::vector<cachelib::Request> assemble() const;
  };
  explicit RequestRing(std::size_t capacity);
  void push(const cachelib::Request& r);
  std::size_t size() const noexcept;  // min(capacity, requests pushed)
  // The newest min(n, size()) requests.
  Snapshot last(std::size_t n) const;

 private:
  std::size_t capacity_;
  std::deque<std::shared_ptr<const std::vector<cachelib::Request>>> sealed_;
  std::vector<cachelib::Request> open_;
};

struct OnlineStats {
  std::uint64_t published = 0;  // fine-tunes whose candidate was published
  std::uint64_t rejected = 0;   // candidates that did worse than the current model (kept the current one)
  std::uint64_t skipped = 0;    // scheduled while the previous fine-tune was still running
  std::uint64_t failed = 0;     // errors and cancellations
  std::uint64_t drifts = 0;     // drift alarms
  std::uint64_t windowRequests = 0;  // the current W
  std::uint64_t minWindowSeen = 0, maxWindowSeen = 0;  // range W took over the run
  double fineTuneSeconds = 0.0; // total wall time spent fine-tuning
  std::uint64_t replayWindowRequests = 0;  // decision window of the last fine-tune's replay (0 = none yet)
  std::uint64_t replayRequests = 0;        // requests the last fine-tune replayed (W scaled to live windows)
};

class OnlineDrlController final : public cachelib::Controller {
 public:
  struct Options {
    std::string label = "drl";          // name() is "<label>:<model file name>"
    std::size_t retrainEveryWindows = 4; // R: fine-tune every R windows (0 = only on requestFineTune())
    // W, in requests; 0 = a multiple of the context's window.requests:
    std::uint64_t minWindowRequests = 0;     // 0 = 4 windows
    std::uint64_t initialWindowRequests = 0; // 0 = 8 windows
    std::uint64_t maxWindowRequests = 0;     // 0 = 32 windows (the ring's size)
    bool inlineFineTune = false;        // true: fine-tune synchronously in decide() (deterministic)
    int trainerNice = 10;               // niceness of the training thread (0 = as the process)
    std::uint64_t seed = 1;             // fine-tune i uses a seed mixed from (seed, i)
    FineTuneConfig fineTune;
    PageHinkleyConfig drift;
    std::size_t driftWarmupWindows = 4; // windows after start() not fed to the detector (cold shadow caches)
    // Called on the training thread when a fine-tune starts (tests hold a
    // fine-tune here to check decide() does not wait). Null = none.
    std::function<void()> onFineTuneStart;
  };

  static cachelib::Result<std::unique_ptr<OnlineDrlController>> load(const std::string& modelPath, Options options);
  OnlineDrlController(std::shared_ptr<const ActorCritic> model, std::string modelName, Options options);
  ~OnlineDrlController() override;  // cancels a running fine-tune and joins the thread

  std::string name() const override;
  std::string summary() const override;
  // finetune_published, finetune_rejected, finetune_skipped, finetune_failed, drift_alarm.
  std::vector<cachelib::ControllerEvent> events() const override;
  cachelib::Decision start(const cachelib::ControlContext& context) override;
  void observe(std::span<const cachelib::Request> requests) override;
  cachelib::Decision decide(const cachelib::WindowFeatures& features) override;

  // Schedules a fine-tune on the current window now (as the R-window timer
  // does); false when one is already running or the ring holds fewer than
  // two decision windows of requests.
  bool requestFineTune();
  OnlineStats stats() const;
  std::uint64_t modelVersion() const noexcept { return version_.load(); }  // publications so far
  std::shared_ptr<const ActorCritic> publishedModel() const { return model_.load(); }
  bool fineTuneRunning() const noexcept { return busy_.load(); }
  // Blocks until no fine-tune runs (tests, the latency probe; never from a
  // decision path).
  void waitIdle();
  const std::string& lastError() const noexcept { return lastError_; }

 private:
  struct Job {
    RequestRing::Snapshot window;
    cachelib::ReplayEnvConfig env;
    double fallbackRate = 1000.0;  // requests/s for windows without timestamps
    std::uint64_t seed = 0;
  };
  bool schedule();
  void runJob(const Job& job);
  void runJobCounted(const Job& job) noexcept;
  void worker();
  void markIdle();
  void setWindow(std::uint64_t requests);
  // The decision window a fine-tune replays with: the median length of the
  // recent live windows (the first, short one excluded), so that windows
  // the caller closes early (the proxy's control loop closes by time too)
  // are replayed as they were decided; the context's window.requests until
  // one was seen, and for time windows (window.seconds > 0).
  std::uint64_t replayWindowRequests() const;

  // Decision-thread state.
  std::string modelName_;
  Options options_;
  cachelib::ControlContext context_;
  std::unique_ptr<FeatureEncoder> encoder_;
  std::unique_ptr<RequestRing> ring_;
  cachelib::Decision current_;
  std::string lastError_;
  PageHinkley detector_;
  std::uint64_t minWindow_ = 0, maxWindow_ = 0;  // bounds of W (requests)
  std::size_t windowsSinceTune_ = 0, windowsSinceStart_ = 0;
  bool driftSinceTune_ = false;
  std::uint64_t fineTunes_ = 0;
  double observedSeconds_ = 0.0, observedRequests_ = 0.0;  // window durations (traces without timestamps)
  std::deque<std::uint64_t> liveWindowRequests_;  // requests of the latest live windows (at most 32)

  // Shared with the training thread and stats() readers (lock-free).
  std::atomic<std::shared_ptr<const ActorCritic>> model_;
  std::atomic<std::uint64_t> version_{0};
  std::atomic<bool> busy_{false};
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> published_{0}, rejected_{0}, skipped_{0}, failed_{0}, drifts_{0};
  std::atomic<std::uint64_t> window_{0}, minWindowSeen_{0}, maxWindowSeen_{0};
  std::atomic<double> fineTuneSeconds_{0.0};
  std::atomic<std::uint64_t> replayWindow_{0}, replayRequests_{0};
  // The hand-off: guards job_/hasJob_ (and busy_ transitions for waitIdle);
  // the trainer holds it only to pick a job up, never while training.
  mutable std::mutex mutex_;
  std::condition_variable wake_, idle_;
  Job job_;
  bool hasJob_ = false;
  std::thread thread_;
};

}  // namespace edgecache::agent
