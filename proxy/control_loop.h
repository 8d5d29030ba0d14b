#pragma once
// The proxy's control loop: live traffic -> cachelib::WindowFeatureTracker
// -> cachelib::Controller -> CacheIndex::resize / setPolicy, once per window
// (N requests or T seconds, whichever first), plus live cost accounting
// (rental = capacity x time on ControlLoopConfig::clock, egress = missed
// bytes; cachelib::CostMeter).
//
// The request path never waits for the controller: request threads call
// AccessLog::record (appending 24 bytes to the calling thread's own vector);
// the loop's own thread swaps the vectors out every 50 ms and does all
// feature work and decisions. If the loop falls behind, the log is
// bounded (kMaxPending) and excess records are counted and dropped.
//
// Manual overrides (admin API): pinCapacity / pinPolicy apply a value at
// once and pin that dimension: while pinned, every window still calls the
// controller, and its proposal is logged, exported (ControlStatus::proposed)
// and applied to the *other* dimension only. A pin ends by release*() or
// when its hold expires (checked every tick, 50 ms); the controller's most
// recent proposal for that dimension is then applied at once.
//
// Thread safety: AccessLog is thread safe; ControlLoop's public methods are
// thread safe (status() takes a mutex the loop holds only briefly). Every
// change the loop or an override makes to the index happens under one
// mutex (applyMutex_), so a window closing concurrently with a PUT cannot
// undo the PUT.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cachelib/controller.h"
#include "cachelib/cost_model.h"
#include "cachelib/status.h"
#include "cachelib/window_features.h"
#include "proxy/cache_index.h"
#include "proxy/metrics.h"
#include "proxy/per_thread_buffer.h"

namespace edgecache::proxy {

struct Access {
  std::uint64_t key = 0;        // variant id (or primary hash on a miss)
  std::uint64_t sizeBytes = 0;  // body bytes served
  bool hit = false;
};

// Thread safe. Each recording thread appends to its own shard
// (proxy/per_thread_buffer.h), so I/O threads never wait on each other here;
// the loop's drain takes each shard's lock only to swap a vector. drain()
// keeps each thread's order, not the order between threads.
class AccessLog {
 public:
  static constexpr std::size_t kMaxPending = 1 << 20;  // records held at most (split evenly over the shards)
  void record(const Access& access) noexcept;
  // Moves every pending record into `out` (cleared first).
  void drain(std::vector<Access>& out) noexcept;
  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  static constexpr std::size_t kMaxPerShard = kMaxPending / PerThreadBuffer<Access>::kShards;
  PerThreadBuffer<Access> pending_;
  std::atomic<std::uint64_t> dropped_{0};
};

struct ControlLoopConfig {
  std::uint64_t windowRequests = 10'000;  // close a window after this many requests
  double windowSeconds = 60.0;            // ...or after this long (on `clock`); <= 0: requests only
  std::uint64_t floorBytes = 64ull << 20;
  std::uint64_t ceilingBytes = 64ull << 30;
  std::size_t gridPoints = 8;             // what-if capacities between floor and ceiling
  double samplingRate = 0.05;             // shadow-cache sampling of keys
  cachelib::CostPrices prices;
  // Nice value of the control thread (-20..19; Linux nice is per thread).
  // The control plane must not take CPU from the I/O threads when they
  // need it: at 10 a burst of its work (draining the access log, closing
  // a window, deciding) no longer delays hits queued behind it on a busy
  // core, and it still runs whenever a core has room. 0 keeps the
  // process's own.
  int niceness = 10;
  // The first window closes at this share of windowRequests / windowSeconds
  // (as cachelib::WindowConfig::firstWindowShare in the simulator).
  double firstWindowShare = 0.1;
  // The loop's clock: window ages, rental time, pin holds and decide()
  // latency are read from it. Unset: std::chrono::steady_clock::now. Tests
  // inject one so that windows closed by time and expiring holds need no
  // sleeping. Must be monotonic and thread safe: it is called on the loop
  // thread and by pin*() callers. (ProxyConfig::clock is a different clock:
  // calendar time in whole seconds for HTTP dates and freshness.)
  std::function<std::chrono::steady_clock::time_point()> clock;
};

// One pinned dimension. `until` unset: held until released.
struct PinState {
  bool active = false;
  std::uint64_t value = 0;  // capacity bytes, or the policy id
  std::optional<std::chrono::steady_clock::time_point> until;  // on ControlLoop::now()'s clock
};

struct ControlStatus {
  std::string controller;
  // Controller::summary() after the latest window (e.g. the online DRL
  // agent's fine-tunes published/rejected); empty when it has none.
  std::string summary;
  std::vector<cachelib::ControllerEvent> events;  // Controller::events(), as of the latest window
  std::int64_t windows = 0;          // windows closed so far
  cachelib::Decision lastDecision;   // as applied (overrides included)
  cachelib::Decision proposed;       // the controller's latest decision, clamped, before overrides
  PinState capacityPin, policyPin;   // manual overrides in force
  std::uint64_t requests = 0;        // observed since start
  std::uint64_t hits = 0;
  std::uint64_t missBytes = 0;       // egress so far
  cachelib::CostBreakdown cost;      // since start
  double meanCapacityBytes = 0.0;
  std::uint64_t resizes = 0;
  std::uint64_t policySwitches = 0;
  std::uint64_t droppedRecords = 0;
};

class ControlLoop {
 public:
  // Called on the loop thread after each window's decision: what is now
  // applied, what the controller proposed (they differ where a dimension is
  // pinned by an override), and which dimensions are pinned.
  using DecisionListener = std::function<void(const cachelib::WindowFeatures& features,
                                              const cachelib::Decision& applied,
                                              const cachelib::Decision& proposed, bool capacityPinned,
                                              bool policyPinned)>;

  ControlLoop(CacheIndex& index, AccessLog& log, std::unique_ptr<cachelib::Controller> controller,
              ControlLoopConfig config, DecisionListener listener = {});
  ~ControlLoop();  // stops
  // Calls controller->start() and applies its first decision, then starts
  // the thread.
  void start();
  void stop();
  ControlStatus status() const;
  // Time of each window's decide() (off the request path). Call before start().
  void setDecisionHistogram(Histogram h) { decisionSeconds_ = h; }
  // Forces the current window to close on the next tick (tests, admin).
  void closeWindowSoon() noexcept { forceClose_.store(true); }
  // The loop's current time (ControlLoopConfig::clock); PinState::until is
  // on this clock. Thread safe.
  std::chrono::steady_clock::time_point now() const;

  // Manual overrides (see the file comment). `hold` zero: until released.
  // pinCapacity clamps nothing (the operator may leave [floor, ceiling]);
  // capacity 0 and unknown/offline policies are errors.
  cachelib::Status pinCapacity(std::uint64_t capacityBytes, std::chrono::seconds hold = std::chrono::seconds{0});
  cachelib::Status pinPolicy(cachelib::PolicyId policy, std::chrono::seconds hold = std::chrono::seconds{0});
  // True when a pin was in force (and is now gone).
  bool releaseCapacity();
  bool releasePolicy();

 private:
  void run();
  void apply(const cachelib::Decision& d);
  void releaseExpired();
  bool release(bool capacity, bool onlyIfExpired);
  void accountTime();

  CacheIndex& index_;
  AccessLog& log_;
  std::unique_ptr<cachelib::Controller> controller_;
  ControlLoopConfig config_;
  DecisionListener listener_;
  cachelib::ControlContext context_;
  std::unique_ptr<cachelib::WindowFeatureTracker> tracker_;

  std::mutex applyMutex_;     // serialises index changes (loop vs overrides); taken before mutex_
  mutable std::mutex mutex_;  // guards status_, meter_, stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<bool> forceClose_{false};
  Histogram decisionSeconds_;
  ControlStatus status_;
  cachelib::CostMeter meter_;
  std::thread thread_;

  // Loop-thread state.
  std::uint64_t index_n_ = 0;  // request index for reuse distances
  std::uint64_t windowRequests_ = 0;
  bool firstWindowClosed_ = false;  // control thread only
  std::chrono::steady_clock::time_point windowStart_, lastAccount_, origin_;
};

}  // namespace edgecache::proxy
