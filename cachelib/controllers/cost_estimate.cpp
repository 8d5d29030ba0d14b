#include "cachelib/controllers/cost_estimate.h"

namespace edgecache::cachelib {

double estimateWindowCost(const WindowFeatures& f, const CostPrices& prices, std::size_t policyIndex,
                          double capacityBytes) noexcept {
  const double missBytes = double(f.bytes) * (1.0 - f.estimateByteHitRatio(policyIndex, capacityBytes));
  return rentalDollars(prices, capacityBytes, f.durationSeconds) + egressDollars(prices, missBytes);
}

double estimateDecisionCost(const WindowFeatures& f, const CostPrices& prices, std::size_t policyIndex,
                            double capacityBytes, double currentCapacityBytes) noexcept {
  // One window's saving against a one-off fee: greedy, like the controllers
  // that call it. Without the fee a controller would resize for a 5% saving
  // of cents while paying dollars per change.
  const double fee = capacityBytes != currentCapacityBytes ? prices.dollarsPerResize : 0.0;
  return estimateWindowCost(f, prices, policyIndex, capacityBytes) + fee;
}

}  // namespace edgecache::cachelib
