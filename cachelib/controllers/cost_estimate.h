#pragma once
// Estimated cost of a (policy, capacity) choice over a window, from the
// window's what-if (shadow cache) estimates: rental of the capacity for the
// window's duration plus egress of the bytes the policy would have missed.
// Shared by the size-only, strategy-only and joint-greedy controllers.

#include <cstddef>

#include "cachelib/controller.h"

namespace edgecache::cachelib {

// Dollars; policyIndex indexes features.policies.
double estimateWindowCost(const WindowFeatures& features, const CostPrices& prices, std::size_t policyIndex,
                          double capacityBytes) noexcept;

// The estimate of deciding `capacityBytes` while `currentCapacityBytes` is
// in force: the window's cost plus the resize fee when the capacity
// changes (as the replay charges it, and as the oracle counts it).
double estimateDecisionCost(const WindowFeatures& features, const CostPrices& prices, std::size_t policyIndex,
                            double capacityBytes, double currentCapacityBytes) noexcept;

// Whether a window's what-if estimates rest on anything: requests, and at
// least one of them in the sample. With an empty sample every ratio is
// misses / expected sample = 0 / x, i.e. every policy hitting everything
// at every capacity (SHARDS-adj: right on average over samples, but no
// evidence about this window); the controllers keep their decision then.
inline bool hasWhatIfEvidence(const WindowFeatures& features) noexcept {
  return features.requests > 0 && features.sampledRequests > 0 && !features.policies.empty();
}

// Hysteresis: keep `current` unless `candidate` is cheaper by more than
// `fraction` of the current estimate.
inline bool worthChanging(double currentCost, double candidateCost, double fraction) noexcept {
  return candidateCost < currentCost * (1.0 - fraction);
}

}  // namespace edgecache::cachelib
