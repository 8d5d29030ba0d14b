#include "cachelib/controllers/strategy_only_controller.h"

#include <algorithm>
#include <cmath>

#include "cachelib/byte_size.h"
#include "cachelib/controllers/cost_estimate.h"

namespace edgecache::cachelib {

std::string StrategyOnlyController::name() const {
  // The capacity is part of the name only when the user chose it.
  const std::string base = options_.mode == Mode::kGreedy ? "strategy-only:greedy" : "strategy-only:experts";
  return options_.capacityBytes ? base + ":" + formatByteSize(options_.capacityBytes) : base;
}

Decision StrategyOnlyController::start(const ControlContext& context) {
  std::uint64_t cap = options_.capacityBytes;
  if (cap == 0) cap = middleCapacity(context);
  // Not std::clamp(cap, floor, ceiling): undefined when floor > ceiling
  // (libstdc++ then returned the ceiling, below the floor the replay applies).
  current_ = Decision{clampCapacity(cap, context), options_.initialPolicy};
  weights_.clear();
  return current_;
}

Decision StrategyOnlyController::decide(const WindowFeatures& f) {
  if (!hasWhatIfEvidence(f)) return current_;
  const double cap = double(current_.capacityBytes);
  std::vector<double> bhr(f.policies.size());
  for (std::size_t p = 0; p < f.policies.size(); ++p) bhr[p] = f.estimateByteHitRatio(p, cap);

  if (options_.mode == Mode::kGreedy) {
    const std::size_t best = static_cast<std::size_t>(std::max_element(bhr.begin(), bhr.end()) - bhr.begin());
    const int cur = f.policyIndex(current_.policy);
    const double curBhr = cur >= 0 ? bhr[std::size_t(cur)] : -1.0;
    if (bhr[best] > curBhr + options_.hysteresis) current_.policy = f.policies[best];
    return current_;
  }

  if (weights_.size() != f.policies.size()) weights_.assign(f.policies.size(), 1.0 / double(f.policies.size()));
  // Losses relative to the window's best policy: the weights are normalised
  // below, so this is the same update, but the best factor is exactly 1 and
  // the sum stays >= the floor share. With the raw loss every factor can
  // underflow to 0 at once (a window every policy loses entirely at a steep
  // learning rate), and 0/0 would leave NaN weights for good.
  const double bestBhr = *std::max_element(bhr.begin(), bhr.end());
  double sum = 0.0;
  for (std::size_t p = 0; p < weights_.size(); ++p) {
    weights_[p] *= std::exp(-options_.learningRate * (bestBhr - bhr[p]));
    sum += weights_[p];
  }
  for (double& w : weights_) w = std::max(w / sum, options_.weightFloor);
  sum = 0.0;
  for (double w : weights_) sum += w;
  for (double& w : weights_) w /= sum;
  const std::size_t best = static_cast<std::size_t>(std::max_element(weights_.begin(), weights_.end()) - weights_.begin());
  current_.policy = f.policies[best];
  return current_;
}

}  // namespace edgecache::cachelib
