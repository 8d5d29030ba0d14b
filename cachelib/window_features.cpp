#include "cachelib/window_features.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

std::vector<std::uint64_t> geometricGrid(std::uint64_t floorBytes, std::uint64_t ceilingBytes, std::size_t points) {
  std::vector<std::uint64_t> grid;
  if (points == 0) return grid;
  floorBytes = std::max<std::uint64_t>(floorBytes, 1);
  ceilingBytes = std::max(ceilingBytes, floorBytes);
  if (points == 1) return {ceilingBytes};
  const double ratio = std::pow(double(ceilingBytes) / double(floorBytes), 1.0 / double(points - 1));
  double v = double(floorBytes);
  for (std::size_t i = 0; i < points; ++i, v *= ratio) {
    const auto b = i + 1 == points ? ceilingBytes : static_cast<std::uint64_t>(std::llround(v));
    if (grid.empty() || b > grid.back()) grid.push_back(b);
  }
  return grid;
}

namespace {
double interpolate(const std::vector<std::uint64_t>& xs, const double* ys, double x) noexcept {
  if (xs.empty()) return 0.0;
  if (x <= double(xs.front())) return ys[0];
  if (x >= double(xs.back())) return ys[xs.size() - 1];
  const auto it = std::upper_bound(xs.begin(), xs.end(), x, [](double v, std::uint64_t e) { return v < double(e); });
  const std::size_t hi = static_cast<std::size_t>(it - xs.begin());
  const std::size_t lo = hi - 1;
  const double t = (x - double(xs[lo])) / (double(xs[hi]) - double(xs[lo]));
  return ys[lo] + t * (ys[hi] - ys[lo]);
}
}  // namespace

double WindowFeatures::estimateByteHitRatio(std::size_t p, double capacity) const noexcept {
  if (p >= policies.size() || capacities.empty()) return 0.0;
  return interpolate(capacities, byteHitRatio.data() + p * capacities.size(), capacity);
}

double WindowFeatures::estimateHitRatio(std::size_t p, double capacity) const noexcept {
  if (p >= policies.size() || capacities.empty()) return 0.0;
  return interpolate(capacities, hitRatio.data() + p * capacities.size(), capacity);
}

int WindowFeatures::policyIndex(PolicyId id) const noexcept {
  for (std::size_t i = 0; i < policies.size(); ++i)
    if (policies[i] == id) return static_cast<int>(i);
  return -1;
}

WindowFeatureTracker::WindowFeatureTracker(const WindowConfig& config) : config_(config) {
  if (config_.shadowPolicies.empty())
    for (const PolicyInfo& p : onlinePolicies()) config_.shadowPolicies.push_back(p.id);
  const double rate = std::clamp(config_.samplingRate, 1e-6, 1.0);
  config_.samplingRate = rate;
  sampleThreshold_ = sampleThreshold(rate);
  pending_.reserve(kShadowBatch);
  std::vector<ShadowBank::Spec> specs;
  for (PolicyId p : config_.shadowPolicies)
    for (std::uint64_t cap : config_.capacityGrid) specs.push_back({p, cap});
  // Unknown ids in shadowPolicies give inert shadows rather than an error.
  shadows_ = std::make_unique<ShadowBank>(specs, static_cast<std::uint32_t>(sampleThreshold_));
}

void WindowFeatureTracker::observeSampled(const Request& r, std::uint64_t index) noexcept {
  ++sampled_;
  pending_.push_back(r);
  if (pending_.size() == kShadowBatch) flushShadows();
  ++windowCounts_[r.key];
  auto [it, inserted] = lastSeen_.try_emplace(r.key, index);
  if (inserted) {
    ++reuse_[kReuseBuckets - 1];
  } else {
    const std::uint64_t d = std::max<std::uint64_t>(1, index - it->second);
    ++reuse_[std::min<std::size_t>(kReuseBuckets - 2, static_cast<std::size_t>(std::bit_width(d) - 1))];
    it->second = index;
  }
}

void WindowFeatureTracker::flushShadows() noexcept {
  // Shadow by shadow over the batch rather than request by request over the
  // shadows: each shadow's state stays in the CPU caches for the whole batch
  // (same results: every shadow still sees the sampled requests in order).
  shadows_->access(pending_);
  pending_.clear();
}

WindowFeatures WindowFeatureTracker::close(double startSeconds, double endSeconds, std::uint64_t capacityBytes,
                                           PolicyId policy) {
  flushShadows();
  WindowFeatures f;
  f.index = windowIndex_++;
  f.startSeconds = startSeconds;
  f.durationSeconds = std::max(0.0, endSeconds - startSeconds);
  f.requests = requests_;
  f.bytes = bytes_;
  f.hits = hits_;
  f.byteHits = byteHits_;
  if (requests_ > 0) {
    const double n = double(requests_);
    const double mean = double(bytes_) / n;
    const auto sq = static_cast<double>(static_cast<std::uint64_t>(sizeSquares_ >> 64)) * 18446744073709551616.0 +
                    static_cast<double>(static_cast<std::uint64_t>(sizeSquares_));
    f.meanObjectBytes = mean;
    f.varObjectBytes = requests_ > 1 ? std::max(0.0, (sq - n * mean * mean) / (n - 1.0)) : 0.0;
  }
  f.requestsPerSecond = f.durationSeconds > 0 ? double(requests_) / f.durationSeconds : 0.0;

  // HyperLogLog estimate with linear counting for small cardinalities.
  const double m = double(hll_.size());
  double sum = 0.0;
  std::size_t zeros = 0;
  static const auto kPow2Neg = [] {
    std::array<double, 64> t{};
    for (std::size_t v = 0; v < t.size(); ++v) t[v] = std::ldexp(1.0, -int(v));
    return t;
  }();
  for (std::uint8_t v : hll_) {
    sum += kPow2Neg[v & 63];
    zeros += v == 0;
  }
  double estimate = (0.7213 / (1.0 + 1.079 / m)) * m * m / sum;
  if (estimate <= 2.5 * m && zeros > 0) estimate = m * std::log(m / double(zeros));
  f.uniqueObjects = requests_ ? estimate : 0.0;

  // One-hit wonders and skew from the sampled keys of this window.
  std::vector<std::uint32_t> counts;
  counts.reserve(windowCounts_.size());
  std::size_t once = 0;
  for (const auto& [k, c] : windowCounts_) {
    counts.push_back(c);
    once += c == 1;
  }
  f.oneHitWonderFraction = counts.empty() ? 0.0 : double(once) / double(counts.size());
  if (counts.size() >= 3) {
    std::sort(counts.begin(), counts.end(), std::greater<>());
    const std::size_t n = std::min<std::size_t>(counts.size(), 200);
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double lx = std::log(double(i + 1)), ly = std::log(double(counts[i]));
      sx += lx; sy += ly; sxx += lx * lx; sxy += lx * ly;
    }
    const double denom = double(n) * sxx - sx * sx;
    f.popularitySkew = denom > 0 ? std::max(0.0, -(double(n) * sxy - sx * sy) / denom) : 0.0;
  }
  std::uint64_t reuseTotal = 0;
  for (auto v : reuse_) reuseTotal += v;
  for (std::size_t b = 0; b < kReuseBuckets; ++b)
    f.reuseHistogram[b] = reuseTotal ? double(reuse_[b]) / double(reuseTotal) : 0.0;

  f.policies = config_.shadowPolicies;
  f.capacities = config_.capacityGrid;
  f.hitRatio.assign(shadows_->size(), 0.0);
  f.byteHitRatio.assign(shadows_->size(), 0.0);
  for (std::size_t i = 0; i < shadows_->size(); ++i) {
    if (!shadows_->valid(i)) continue;
    // SHARDS-adj (Waldspurger et al., FAST'15): the sample holds more or
    // fewer requests than rate x requests when hot keys fall in or out of it;
    // dividing the sampled misses by the *expected* sample size, instead of
    // the actual one, removes most of that bias.
    const CacheStats& s = shadows_->stats(i);
    const double rate = shadows_->samplingRate(i);
    const double expected = rate * double(requests_);
    const double expectedBytes = rate * double(bytes_);
    f.hitRatio[i] = expected > 0 ? std::clamp(1.0 - double(s.misses()) / expected, 0.0, 1.0) : 0.0;
    f.byteHitRatio[i] = expectedBytes > 0 ? std::clamp(1.0 - double(s.missBytes()) / expectedBytes, 0.0, 1.0) : 0.0;
  }
  shadows_->resetStats();
  f.sampledRequests = sampled_;
  f.capacityBytes = capacityBytes;
  f.policy = policy;

  requests_ = bytes_ = hits_ = byteHits_ = sampled_ = 0;
  sizeSquares_ = 0;
  hll_.fill(0);
  windowCounts_.clear();
  reuse_.fill(0);
  return f;
}

}  // namespace edgecache::cachelib
