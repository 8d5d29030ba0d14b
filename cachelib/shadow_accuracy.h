#pragma once
// How good are the sampled shadow caches? Replays a whole trace once exactly
// (every policy x capacity, one Cache per run, window by window) and once
// through a WindowFeatureTracker, and compares miss ratios over the whole
// trace and window by window.

#include <cstdint>
#include <span>
#include <vector>

#include "cachelib/policy.h"
#include "cachelib/request.h"
#include "cachelib/status.h"
#include "cachelib/window_features.h"

namespace edgecache::cachelib {

struct ShadowAccuracyPoint {
  PolicyId policy = 0;
  std::uint64_t capacityBytes = 0;
  double exactMissRatio = 0.0;          // whole trace
  double estimatedMissRatio = 0.0;      // whole trace: the windows' estimated misses over all requests
  double exactByteMissRatio = 0.0;
  double estimatedByteMissRatio = 0.0;
  double meanAbsWindowError = 0.0;      // miss ratio, |estimate - exact| averaged over windows
  double finalSamplingRate = 0.0;       // the shadow's own rate after the last window
};

// Points are from the first sample (window.sampleSalt); the aggregates are
// averaged over `samples` samples (each its own salt; the max is the mean of
// the per-sample maxima).
struct ShadowAccuracy {
  double samplingRate = 0.0;
  std::size_t windows = 0;
  std::size_t samples = 0;
  std::vector<ShadowAccuracyPoint> points;
  double meanAbsError = 0.0;        // whole-trace miss ratio, over all points
  double maxAbsError = 0.0;
  double meanAbsByteError = 0.0;    // whole-trace byte miss ratio
  double meanAbsWindowError = 0.0;  // per-window miss ratio, over all points and windows
  double shadowAccessesPerRequest = 0.0;  // the shadows' work: policy accesses per trace request
};

// `window` configures the tracker as in a replay: samplingRate, capacityGrid
// (the capacities compared), shadowPolicies (empty = every online policy),
// per-shadow rates, and windows of window.requests requests (window.seconds
// is ignored; requests == 0 means one window for the whole trace, in which
// case no shadow ever lowers its rate). `samples` >= 1 trackers with
// different salts (key samples) share one exact replay; exact runs use every
// core. Fails on an unknown or offline policy id.
Result<ShadowAccuracy> measureShadowAccuracy(std::span<const Request> requests, const WindowConfig& window,
                                             unsigned samples = 1);

}  // namespace edgecache::cachelib
