#include "cachelib/controllers/joint_greedy_controller.h"


#include "cachelib/controllers/cost_estimate.h"

namespace edgecache::cachelib {

Decision JointGreedyController::start(const ControlContext& context) {
  context_ = context;
  current_ = Decision{middleCapacity(context), 0};
  return current_;
}

Decision JointGreedyController::decide(const WindowFeatures& f) {
  if (!hasWhatIfEvidence(f)) return current_;
  const int cur = f.policyIndex(current_.policy);
  const double currentCost =
      cur >= 0 ? estimateWindowCost(f, context_.prices, std::size_t(cur), double(current_.capacityBytes)) : 1e300;
  double bestCost = currentCost;
  Decision best = current_;
  for (std::size_t p = 0; p < f.policies.size(); ++p) {
    for (std::uint64_t c : f.capacities) {
      if (c < context_.floorBytes || c > context_.ceilingBytes) continue;
      const double cost = estimateDecisionCost(f, context_.prices, p, double(c), double(current_.capacityBytes));
      if (cost < bestCost) {
        bestCost = cost;
        best = Decision{c, f.policies[p]};
      }
    }
  }
  if (worthChanging(currentCost, bestCost, options_.hysteresis)) current_ = best;
  return current_;
}

}  // namespace edgecache::cachelib
