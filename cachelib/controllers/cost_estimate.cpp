#include "cachelib/controllers/cost_estimate.h"

namespace edgecache::cachelib {

double estimateWindowCost(const WindowFeatures& f, const CostPrices& prices, std::size_t policyIndex,
                          double capacityBytes) noexcept {
  const double missBytes = double(f.bytes) * (1.0 - f.estimateByteHitRatio(policyIndex, capacityBytes));
  return rentalDollars(prices, capacityBytes, f.durationSeconds) + egressDollars(prices, missBytes);
}

}  // namespace edgecache::cachelib
