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

// Hysteresis: keep `current` unless `candidate` is cheaper by more than
// `fraction` of the current estimate.
inline bool worthChanging(double currentCost, double candidateCost, double fraction) noexcept {
  return candidateCost < currentCost * (1.0 - fraction);
}

}  // namespace edgecache::cachelib
