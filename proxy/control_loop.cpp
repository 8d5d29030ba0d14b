#include "proxy/control_loop.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "cachelib/policy_registry.h"

namespace edgecache::proxy {

void AccessLog::record(const Access& access) noexcept {
  if (!pending_.push(access, kMaxPerShard).stored) dropped_.fetch_add(1, std::memory_order_relaxed);
}

void AccessLog::drain(std::vector<Access>& out) noexcept {
  out.clear();
  pending_.drainInto(out);  // `out` keeps its capacity: no allocation once warm
}

ControlLoop::ControlLoop(CacheIndex& index, AccessLog& log, std::unique_ptr<cachelib::Controller> controller,
                         ControlLoopConfig config, DecisionListener listener)
    : index_(index), log_(log), controller_(std::move(controller)), config_(config), listener_(std::move(listener)) {
  context_.floorBytes = std::max<std::uint64_t>(1, config_.floorBytes);
  context_.ceilingBytes = std::max(context_.floorBytes, config_.ceilingBytes);
  context_.prices = config_.prices;
  context_.window.requests = config_.windowRequests;
  context_.window.firstWindowShare = config_.firstWindowShare;
  context_.window.seconds = 0.0;  // the loop closes windows by time itself (config_.clock)
  context_.window.samplingRate = config_.samplingRate;
  context_.window.capacityGrid =
      cachelib::geometricGrid(context_.floorBytes, context_.ceilingBytes, std::max<std::size_t>(2, config_.gridPoints));
  tracker_ = std::make_unique<cachelib::WindowFeatureTracker>(context_.window);
}

ControlLoop::~ControlLoop() { stop(); }

std::chrono::steady_clock::time_point ControlLoop::now() const {
  return config_.clock ? config_.clock() : std::chrono::steady_clock::now();
}

void ControlLoop::apply(const cachelib::Decision& d) {
  std::lock_guard applyLock(applyMutex_);
  const std::uint64_t capacity = cachelib::clampCapacity(d.capacityBytes, context_);
  bool capacityPinned = false, policyPinned = false;
  {
    std::lock_guard lock(mutex_);
    status_.proposed = cachelib::Decision{capacity, d.policy};
    capacityPinned = status_.capacityPin.active;
    policyPinned = status_.policyPin.active;
  }
  const auto snap = index_.snapshot();
  bool resized = false, switched = false;
  if (!capacityPinned && capacity != snap.capacityBytes) {
    index_.resize(capacity);
    resized = true;
  }
  if (!policyPinned && d.policy != snap.policy && cachelib::findPolicy(d.policy) != nullptr) {
    switched = index_.setPolicy(d.policy).isOk();
  }
  const auto after = index_.snapshot();
  std::lock_guard lock(mutex_);
  if (resized) {
    meter_.addResize();
    ++status_.resizes;
  }
  if (switched) ++status_.policySwitches;
  status_.lastDecision = cachelib::Decision{after.capacityBytes, after.policy};
}

cachelib::Status ControlLoop::pinCapacity(std::uint64_t capacityBytes, std::chrono::seconds hold) {
  if (capacityBytes == 0) return cachelib::Status::error("capacity must be positive");
  if (hold.count() < 0) return cachelib::Status::error("hold must not be negative");
  std::lock_guard applyLock(applyMutex_);
  const bool changed = index_.snapshot().capacityBytes != capacityBytes;
  index_.resize(capacityBytes);
  std::lock_guard lock(mutex_);
  status_.capacityPin = PinState{true, capacityBytes, std::nullopt};
  if (hold.count() > 0) status_.capacityPin.until = now() + hold;
  status_.lastDecision.capacityBytes = capacityBytes;
  if (changed) meter_.addResize();
  return cachelib::Status::ok();
}

cachelib::Status ControlLoop::pinPolicy(cachelib::PolicyId policy, std::chrono::seconds hold) {
  const auto* info = cachelib::findPolicy(policy);
  if (info == nullptr || info->offline) return cachelib::Status::error("not a live policy id: " + std::to_string(policy));
  if (hold.count() < 0) return cachelib::Status::error("hold must not be negative");
  std::lock_guard applyLock(applyMutex_);
  if (auto s = index_.setPolicy(policy); !s) return s;
  std::lock_guard lock(mutex_);
  status_.policyPin = PinState{true, policy, std::nullopt};
  if (hold.count() > 0) status_.policyPin.until = now() + hold;
  status_.lastDecision.policy = policy;
  return cachelib::Status::ok();
}

bool ControlLoop::releaseCapacity() { return release(true, false); }
bool ControlLoop::releasePolicy() { return release(false, false); }

// Hands the dimension back to the controller: its latest proposal applies
// now rather than at the next window, so "release" visibly undoes the pin.
// onlyIfExpired: the hold-expiry path re-checks under the lock, so a pin an
// admin set again since the expiry was seen is not released.
bool ControlLoop::release(bool capacity, bool onlyIfExpired) {
  std::lock_guard applyLock(applyMutex_);
  cachelib::Decision proposed;
  {
    std::lock_guard lock(mutex_);
    PinState& pin = capacity ? status_.capacityPin : status_.policyPin;
    if (!pin.active) return false;
    if (onlyIfExpired && !(pin.until && *pin.until <= now())) return false;
    pin = PinState{};
    proposed = status_.proposed;
  }
  const auto snap = index_.snapshot();
  bool resized = false;
  if (capacity && proposed.capacityBytes != 0 && proposed.capacityBytes != snap.capacityBytes) {
    index_.resize(proposed.capacityBytes);
    resized = true;
  }
  if (!capacity && proposed.policy != snap.policy && cachelib::findPolicy(proposed.policy) != nullptr) {
    (void)index_.setPolicy(proposed.policy);
  }
  const auto after = index_.snapshot();
  std::lock_guard lock(mutex_);
  if (resized) meter_.addResize();
  status_.lastDecision = cachelib::Decision{after.capacityBytes, after.policy};
  return true;
}

void ControlLoop::releaseExpired() {
  const auto current = now();
  bool capacity = false, policy = false;
  {
    std::lock_guard lock(mutex_);
    capacity = status_.capacityPin.active && status_.capacityPin.until && *status_.capacityPin.until <= current;
    policy = status_.policyPin.active && status_.policyPin.until && *status_.policyPin.until <= current;
  }
  if (capacity) (void)release(true, true);
  if (policy) (void)release(false, true);
}

void ControlLoop::start() {
  const auto snap = index_.snapshot();
  // A static decision below the floor (small test caches) lowers the floor
  // rather than being clamped up.
  context_.floorBytes = std::min(context_.floorBytes, std::max<std::uint64_t>(1, snap.capacityBytes));
  const cachelib::Decision first = controller_->start(context_);
  {
    std::lock_guard lock(mutex_);
    status_.controller = controller_->name();
    status_.events = controller_->events();  // the names, from the start
  }
  apply(first);
  {
    std::lock_guard lock(mutex_);
    // The first decision is the configuration, not a re-provisioning.
    status_.resizes = 0;
    status_.policySwitches = 0;
    meter_ = cachelib::CostMeter{};
  }
  origin_ = windowStart_ = lastAccount_ = now();
  thread_ = std::thread([this] { run(); });
}

void ControlLoop::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

ControlStatus ControlLoop::status() const {
  std::lock_guard lock(mutex_);
  ControlStatus s = status_;
  s.cost = meter_.cost(config_.prices);
  s.missBytes = meter_.missBytes();
  s.meanCapacityBytes = meter_.meanCapacityBytes();
  s.droppedRecords = log_.dropped();
  return s;
}

void ControlLoop::accountTime() {
  const auto current = now();
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(current - lastAccount_).count();
  lastAccount_ = current;
  const std::uint64_t capacity = index_.snapshot().capacityBytes;
  std::lock_guard lock(mutex_);
  meter_.holdCapacity(capacity, static_cast<std::uint64_t>(std::max<std::int64_t>(0, micros)));
}

void ControlLoop::run() {
  if (config_.niceness != 0) {
    // setpriority on a thread id changes only this thread. Raising one's own
    // nice value needs no privilege; failing (a lower value without
    // CAP_SYS_NICE) leaves the thread as it was.
    errno = 0;
    const int current = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    if (errno == 0) (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::clamp(current + config_.niceness, -20, 19));
  }
  std::vector<Access> batch;
  std::vector<cachelib::Request> requests;  // the batch as Requests, for Controller::observe
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(50), [this] { return stopping_; });
      if (stopping_) return;
    }
    releaseExpired();
    log_.drain(batch);
    const auto tickTime = now();
    const double nowSeconds = std::chrono::duration<double>(tickTime - origin_).count();
    std::uint64_t missBytes = 0, hits = 0;
    requests.clear();
    for (const Access& a : batch) {
      const cachelib::Request r{nowSeconds, a.key, std::max<std::uint64_t>(1, a.sizeBytes), cachelib::kNoNextAccess};
      tracker_->observe(r, a.hit, ++index_n_);
      requests.push_back(r);
      if (a.hit) {
        ++hits;
      } else {
        missBytes += a.sizeBytes;
      }
    }
    // Controllers that learn from raw requests (the online DRL agent) see
    // every batch, on this thread, before the decide() of its window.
    if (!requests.empty()) controller_->observe(requests);
    windowRequests_ += batch.size();
    accountTime();
    {
      std::lock_guard lock(mutex_);
      meter_.addMissBytes(missBytes);
      status_.requests += batch.size();
      status_.hits += hits;
    }
    const double windowAge = std::chrono::duration<double>(tickTime - windowStart_).count();
    // The first window is a share of the others, as in the simulator
    // (cachelib::WindowConfig::firstWindowShare): the start-up decision is
    // a guess, the next one is made on data.
    const double share = cachelib::windowShare(context_.window, !firstWindowClosed_);
    const bool byCount = windowRequests_ >= cachelib::windowRequests(config_.windowRequests, share);
    const bool byTime = config_.windowSeconds > 0 && windowAge >= config_.windowSeconds * share;
    if (!(byCount || byTime || forceClose_.exchange(false))) continue;

    const auto snap = index_.snapshot();
    cachelib::WindowFeatures features = tracker_->close(std::chrono::duration<double>(windowStart_ - origin_).count(),
                                                        nowSeconds, snap.capacityBytes, snap.policy);
    features.cost.rental = cachelib::rentalDollars(config_.prices, double(snap.capacityBytes), windowAge);
    windowStart_ = tickTime;
    windowRequests_ = 0;
    firstWindowClosed_ = true;
    const auto decideStart = now();
    const cachelib::Decision d = controller_->decide(features);
    decisionSeconds_.observe(std::chrono::duration<double>(now() - decideStart).count());
    apply(d);
    std::string summary = controller_->summary();
    auto events = controller_->events();
    {
      std::lock_guard lock(mutex_);
      ++status_.windows;
      status_.summary = std::move(summary);
      status_.events = std::move(events);
    }
    if (listener_) {
      const ControlStatus st = status();
      listener_(features, st.lastDecision, st.proposed, st.capacityPin.active, st.policyPin.active);
    }
  }
}

}  // namespace edgecache::proxy
