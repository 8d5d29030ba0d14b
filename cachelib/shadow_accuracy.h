#pragma once
// How good are the sampled shadow caches? Replays a whole trace once exactly
// (every policy x size) and once through a WindowFeatureTracker at a given
// sampling rate (one window = the whole trace), and compares miss ratios.

#include <cstdint>
#include <span>
#include <vector>

#include "cachelib/policy.h"
#include "cachelib/request.h"
#include "cachelib/status.h"

namespace edgecache::cachelib {

struct ShadowAccuracyPoint {
  PolicyId policy = 0;
  std::uint64_t capacityBytes = 0;
  double exactMissRatio = 0.0;
  double estimatedMissRatio = 0.0;
  double exactByteMissRatio = 0.0;
  double estimatedByteMissRatio = 0.0;
};

struct ShadowAccuracy {
  double samplingRate = 0.0;
  std::vector<ShadowAccuracyPoint> points;
  double meanAbsError = 0.0;      // miss ratio, over all points
  double maxAbsError = 0.0;
  double meanAbsByteError = 0.0;  // byte miss ratio
};

// Exact runs go through replayGrid (all cores).
Result<ShadowAccuracy> measureShadowAccuracy(std::span<const Request> requests, const std::vector<PolicyId>& policies,
                                             const std::vector<std::uint64_t>& capacities, double samplingRate);

}  // namespace edgecache::cachelib
