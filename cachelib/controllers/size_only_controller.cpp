#include "cachelib/controllers/size_only_controller.h"


#include "cachelib/controllers/cost_estimate.h"
#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

std::string SizeOnlyController::name() const {
  const PolicyInfo* p = findPolicy(options_.policy);
  return "size-only:" + std::string(p ? p->name : "?");
}

Decision SizeOnlyController::start(const ControlContext& context) {
  context_ = context;
  // Start in the middle of the range (geometric mean) until the first window.
  current_ = Decision{middleCapacity(context), options_.policy};
  return current_;
}

Decision SizeOnlyController::decide(const WindowFeatures& f) {
  const int p = f.policyIndex(options_.policy);
  if (p < 0 || !hasWhatIfEvidence(f)) return current_;
  const double currentCost = estimateWindowCost(f, context_.prices, std::size_t(p), double(current_.capacityBytes));
  double bestCost = currentCost;
  std::uint64_t best = current_.capacityBytes;
  for (std::uint64_t c : f.capacities) {
    if (c < context_.floorBytes || c > context_.ceilingBytes) continue;
    const double cost =
        estimateDecisionCost(f, context_.prices, std::size_t(p), double(c), double(current_.capacityBytes));
    if (cost < bestCost) {
      bestCost = cost;
      best = c;
    }
  }
  if (worthChanging(currentCost, bestCost, options_.hysteresis)) current_.capacityBytes = best;
  return current_;
}

}  // namespace edgecache::cachelib
