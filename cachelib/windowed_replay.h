#pragma once
// Replaying a trace window by window under a controller: the environment the
// baselines are compared in and the DRL agent is trained in.
//
// Each step applies a Decision (hot resize, hot policy switch: no flush),
// replays one window through the real cache and the feature tracker, and
// charges the window's cost: capacity x window duration (trace time), missed
// bytes, and a resize fee when the capacity changed.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cachelib/cache.h"
#include "cachelib/controller.h"
#include "cachelib/cost_model.h"
#include "cachelib/window_features.h"

namespace edgecache::cachelib {

struct ReplayEnvConfig {
  ControlContext context;           // floor/ceiling, prices, window + what-if grid
  double requestRate = 0.0;         // > 0: ignore trace times, request i is at i / rate seconds
  std::uint32_t metadataBytesPerObject = 0;
  bool features = true;             // false: no tracker (only for throughput comparison)
};

struct WindowRecord {
  std::int64_t index = 0;
  double startSeconds = 0.0;
  double endSeconds = 0.0;
  std::uint64_t requests = 0, hits = 0, bytes = 0, byteHits = 0;
  Decision decision;                // in force during the window
  CostBreakdown cost;
};

class WindowedReplay {
 public:
  WindowedReplay(std::span<const Request> requests, const ReplayEnvConfig& config);

  bool done() const noexcept { return next_ >= requests_.size(); }
  // Applies `d` (clamped into [floor, ceiling]; unknown policy keeps the current one) and
  // replays the next window. Precondition: !done().
  WindowRecord step(const Decision& d);
  // Features of the last completed window (index -1 before the first step).
  const WindowFeatures& features() const noexcept { return features_; }
  // The requests the next step() will replay, and their duration.
  std::span<const Request> nextWindow() const noexcept;
  const Cache& cache() const noexcept { return *cache_; }
  const CostMeter& meter() const noexcept { return meter_; }
  const CacheStats& stats() const noexcept { return cache_->stats(); }
  std::uint64_t policySwitches() const noexcept { return switches_; }
  double replaySeconds() const noexcept { return replaySeconds_; }
  double timeOf(std::size_t index) const noexcept;
  // When a window that stops before request `end` ends: timeOf(end); after
  // the last request, the end of the trace: size / requestRate when times
  // come from the rate (every request takes 1/rate), else the last
  // request's time (a trace says nothing about what follows it).
  double endTimeOf(std::size_t end) const noexcept;

 private:
  std::size_t windowEnd(std::size_t begin) const noexcept;

  std::span<const Request> requests_;
  ReplayEnvConfig config_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<WindowFeatureTracker> tracker_;
  WindowFeatures features_;
  CostMeter meter_;
  std::size_t next_ = 0;
  std::uint64_t switches_ = 0;
  double replaySeconds_ = 0.0;
  bool started_ = false;
};

struct ControlledResult {
  std::string controller;
  std::vector<WindowRecord> windows;
  CacheStats stats;
  CostMeter meter;
  CostBreakdown cost;
  double meanCapacityBytes = 0.0;
  std::uint64_t decisions = 0;
  std::uint64_t policySwitches = 0;
  double replaySeconds = 0.0;  // replay + features, controller time excluded
  double decideSeconds = 0.0;  // time inside the controller
};

// Runs `controller` over the whole trace: start(), then after every window
// but the last observe(that window's requests) and decide(its features)
// (both counted in decideSeconds).
ControlledResult runControlled(std::span<const Request> requests, Controller& controller, const ReplayEnvConfig& config);

}  // namespace edgecache::cachelib
