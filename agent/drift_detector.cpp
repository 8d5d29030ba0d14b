#include "agent/drift_detector.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace edgecache::agent {

bool PageHinkley::add(double x) noexcept {
  if (!std::isfinite(x)) return false;
  ++n_;
  mean_ += (x - mean_) / double(n_);
  up_ += x - mean_ - config_.delta;
  upMin_ = std::min(upMin_, up_);
  down_ += x - mean_ + config_.delta;
  downMax_ = std::max(downMax_, down_);
  if (n_ < config_.minSamples) return false;
  if (up_ - upMin_ > config_.lambda || downMax_ - down_ > config_.lambda) {
    reset();
    return true;
  }
  return false;
}

void PageHinkley::reset() noexcept {
  n_ = 0;
  mean_ = up_ = upMin_ = down_ = downMax_ = 0.0;
}

double windowDriftSignal(const cachelib::WindowFeatures& f) noexcept {
  const std::size_t grid = f.capacities.size();
  if (grid == 0 || f.policies.empty() || f.sampledRequests == 0 || f.hitRatio.size() < grid)
    return std::numeric_limits<double>::quiet_NaN();
  const double hit = f.hitRatio[grid / 2];  // policy index 0, middle capacity
  return std::isfinite(hit) ? std::clamp(1.0 - hit, 0.0, 1.0) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace edgecache::agent
