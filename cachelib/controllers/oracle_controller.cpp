#include "cachelib/controllers/oracle_controller.h"

#include <limits>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

Decision OracleController::start(const ControlContext& context) {
  context_ = context;
  current_ = Decision{middleCapacity(context), 0};
  return current_;
}

Decision OracleController::decideWithHindsight(const WindowFeatures&, const Hindsight& h) {
  if (h.cache == nullptr || h.nextWindow.empty()) return current_;
  std::vector<PolicyId> policies = context_.window.shadowPolicies;
  if (policies.empty())
    for (const PolicyInfo& p : onlinePolicies()) policies.push_back(p.id);
  std::vector<std::uint64_t> capacities = context_.window.capacityGrid;
  capacities.push_back(current_.capacityBytes);

  double bestCost = std::numeric_limits<double>::infinity();
  Decision best = current_;
  for (PolicyId p : policies) {
    for (std::uint64_t c : capacities) {
      if (c < context_.floorBytes || c > context_.ceilingBytes) continue;
      auto copy = h.cache->clone();
      if (!copy) return current_;  // a policy without clone(): keep the decision
      Cache& cache = *copy.value();
      // In WindowedReplay::step()'s order: a shrink evicts by the policy in
      // force, then the new policy is seeded with what is left. The other
      // order lets the new policy choose the victims, an outcome the replay
      // never produces, so the "best in hindsight" could be neither.
      cache.resize(c);
      if (!cache.setPolicy(p)) continue;
      cache.resetStats();
      for (const Request& r : h.nextWindow) (void)cache.access(r);
      double cost = rentalDollars(context_.prices, double(c), h.nextWindowSeconds) +
                    egressDollars(context_.prices, double(cache.stats().missBytes()));
      if (c != current_.capacityBytes) cost += context_.prices.dollarsPerResize;
      // Ties keep the current decision (fewer switches).
      const bool isCurrent = p == current_.policy && c == current_.capacityBytes;
      if (cost < bestCost || (cost == bestCost && isCurrent)) {
        bestCost = cost;
        best = Decision{c, p};
      }
    }
  }
  current_ = best;
  return current_;
}

}  // namespace edgecache::cachelib
