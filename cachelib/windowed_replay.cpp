#include "cachelib/windowed_replay.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

WindowedReplay::WindowedReplay(std::span<const Request> requests, const ReplayEnvConfig& config)
    : requests_(requests), config_(config) {
  CacheConfig cc;
  cc.capacityBytes = config_.context.floorBytes;
  cc.metadataBytesPerObject = config_.metadataBytesPerObject;
  cache_ = std::move(Cache::create(cc).value());  // policy 0 always exists
  if (config_.features) tracker_ = std::make_unique<WindowFeatureTracker>(config_.context.window);
  features_.capacityBytes = cache_->capacityBytes();
  features_.policy = cache_->policyId();
}

double WindowedReplay::timeOf(std::size_t index) const noexcept {
  if (config_.requestRate > 0) return double(index) / config_.requestRate;
  return requests_[index].timeSeconds;
}

double WindowedReplay::endTimeOf(std::size_t end) const noexcept {
  if (end < requests_.size()) return timeOf(end);
  if (config_.requestRate > 0) return double(requests_.size()) / config_.requestRate;
  return requests_.empty() ? 0.0 : timeOf(requests_.size() - 1);
}

std::size_t WindowedReplay::windowEnd(std::size_t begin) const noexcept {
  const std::size_t n = requests_.size();
  if (begin >= n) return n;
  const WindowConfig& w = config_.context.window;
  const double share = windowShare(w, begin == 0);
  if (w.seconds > 0) {
    const double limit = timeOf(begin) + w.seconds * share;
    std::size_t end = begin + 1;
    while (end < n && timeOf(end) < limit) ++end;
    return end;
  }
  return std::min(n, begin + windowRequests(w.requests, share));
}

std::span<const Request> WindowedReplay::nextWindow() const noexcept {
  return requests_.subspan(next_, windowEnd(next_) - next_);
}

WindowRecord WindowedReplay::step(const Decision& d) {
  const ControlContext& ctx = config_.context;
  const std::uint64_t capacity = clampCapacity(d.capacityBytes, ctx);
  CostMeter window;
  if (capacity != cache_->capacityBytes()) {
    if (started_) window.addResize();
    cache_->resize(capacity);
  }
  if (d.policy != cache_->policyId() && findPolicy(d.policy) != nullptr) {
    (void)cache_->setPolicy(d.policy);  // id checked above; cannot fail
    if (started_) ++switches_;
  }
  started_ = true;

  const std::size_t begin = next_;
  const std::size_t end = windowEnd(begin);
  const CacheStats before = cache_->stats();
  const auto t0 = std::chrono::steady_clock::now();
  if (tracker_) {
    // The cache answers a chunk, then the tracker reads the same requests
    // while they are in L1; its per-request counters stay in registers
    // (observeBatch). The hits come from the cache's own counters. 32: with
    // 256 the cache's own accesses pushed the chunk out of a 32 KiB L1
    // (cachegrind: +0.8M L1 misses on 2M requests); 16 costs more calls.
    constexpr std::size_t kChunk = 32;
    for (std::size_t i = begin; i < end; i += kChunk) {
      const std::size_t stop = std::min(end, i + kChunk);
      for (std::size_t j = i; j < stop; ++j) (void)cache_->access(requests_[j]);
      tracker_->observeBatch(requests_.subspan(i, stop - i), i);
    }
    const CacheStats& s = cache_->stats();
    tracker_->countHits(s.hits - before.hits, s.bytesHit - before.bytesHit);
  } else {
    for (std::size_t i = begin; i < end; ++i) (void)cache_->access(requests_[i]);
  }
  replaySeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  next_ = end;

  const CacheStats& after = cache_->stats();
  WindowRecord rec;
  rec.index = features_.index + 1;
  rec.startSeconds = timeOf(begin);
  rec.endSeconds = endTimeOf(end);
  rec.requests = after.requests - before.requests;
  rec.hits = after.hits - before.hits;
  rec.bytes = after.bytesRequested - before.bytesRequested;
  rec.byteHits = after.bytesHit - before.bytesHit;
  rec.decision = Decision{cache_->capacityBytes(), cache_->policyId()};
  const double seconds = std::max(0.0, rec.endSeconds - rec.startSeconds);
  window.holdCapacity(cache_->capacityBytes(), static_cast<std::uint64_t>(std::llround(seconds * 1e6)));
  window.addMissBytes(rec.bytes - rec.byteHits);
  rec.cost = window.cost(ctx.prices);
  meter_.add(window);

  if (tracker_) {
    features_ = tracker_->close(rec.startSeconds, rec.endSeconds, cache_->capacityBytes(), cache_->policyId());
  } else {
    features_ = WindowFeatures{};
    features_.index = rec.index;
    features_.startSeconds = rec.startSeconds;
    features_.durationSeconds = seconds;
    features_.requests = rec.requests;
    features_.bytes = rec.bytes;
    features_.hits = rec.hits;
    features_.byteHits = rec.byteHits;
    features_.capacityBytes = cache_->capacityBytes();
    features_.policy = cache_->policyId();
  }
  features_.cost = rec.cost;
  return rec;
}

ControlledResult runControlled(std::span<const Request> requests, Controller& controller, const ReplayEnvConfig& config) {
  ControlledResult out;
  WindowedReplay env(requests, config);
  auto t0 = std::chrono::steady_clock::now();
  Decision d = controller.start(config.context);
  out.controller = controller.name();  // after start(): names may show resolved defaults
  out.decideSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  while (!env.done()) {
    const std::span<const Request> window = env.nextWindow();
    out.windows.push_back(env.step(d));
    if (env.done()) break;
    t0 = std::chrono::steady_clock::now();
    controller.observe(window);
    if (controller.wantsHindsight()) {
      const auto next = env.nextWindow();
      const std::size_t first = static_cast<std::size_t>(next.data() - requests.data());
      Hindsight h{&env.cache(), next, std::max(0.0, env.endTimeOf(first + next.size()) - env.timeOf(first))};
      d = controller.decideWithHindsight(env.features(), h);
    } else {
      d = controller.decide(env.features());
    }
    out.decideSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++out.decisions;
  }
  out.stats = env.stats();
  out.meter = env.meter();
  out.cost = env.meter().cost(config.context.prices);
  out.meanCapacityBytes = env.meter().meanCapacityBytes();
  out.policySwitches = env.policySwitches();
  out.replaySeconds = env.replaySeconds();
  return out;
}

}  // namespace edgecache::cachelib
