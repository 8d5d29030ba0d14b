#include "cachelib/window_features.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "cachelib/policies/lru_policy.h"
#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

double windowShare(const WindowConfig& window, bool firstWindow) noexcept {
  const double share = window.firstWindowShare;
  return firstWindow && share > 0 && share < 1 ? share : 1.0;
}

std::uint64_t windowRequests(std::uint64_t requests, double share) noexcept {
  const double length = std::llround(double(std::max<std::uint64_t>(1, requests)) * share);
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::max(0.0, length)));
}

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

WindowFeatureTracker::WindowFeatureTracker(const WindowConfig& config)
    : config_(config), grid_(config.capacityGrid.size()) {
  if (config_.shadowPolicies.empty())
    for (const PolicyInfo& p : onlinePolicies()) config_.shadowPolicies.push_back(p.id);
  const double rate = std::clamp(config_.samplingRate, 1e-6, 1.0);
  config_.samplingRate = rate;
  sampleThreshold_ = sampleThreshold(rate);
  pending_.reserve(kShadowBatch);
  const auto threshold = static_cast<std::uint32_t>(sampleThreshold_);
  std::vector<std::uint64_t> scaled;
  for (std::uint64_t cap : config_.capacityGrid) scaled.push_back(scaledCapacity(cap, threshold));
  lru_ = std::make_unique<LruStack>(scaled);
  std::vector<ShadowBank::Spec> specs;
  for (PolicyId p : config_.shadowPolicies) {
    if (p == LruPolicy::kId) {
      bankRow_.push_back(-1);
      continue;
    }
    // Unknown ids in shadowPolicies give inert shadows rather than an error.
    bankRow_.push_back(static_cast<int>(bankRows_++));
    for (std::uint64_t cap : config_.capacityGrid) specs.push_back({p, cap, true});
  }
  if (bankRows_ > 0)
    for (std::uint64_t cap : config_.capacityGrid) specs.push_back({LruPolicy::kId, cap, false});
  shadows_ = std::make_unique<ShadowBank>(specs, threshold, config_.sampleSalt);
  levels_.assign(grid_, 0);
}

double WindowFeatureTracker::shadowSamplingRate(std::size_t k) const noexcept {
  const std::size_t p = k / std::max<std::size_t>(1, grid_), c = k % std::max<std::size_t>(1, grid_);
  if (p >= bankRow_.size() || bankRow_[p] < 0) return sampleRate(static_cast<std::uint32_t>(sampleThreshold_));
  return shadows_->samplingRate(bankIndex(static_cast<std::size_t>(bankRow_[p]), c));
}

void WindowFeatureTracker::observeBatch(std::span<const Request> requests, std::uint64_t firstIndex) noexcept {
  // observe() without the hits, the counters in locals: the compiler keeps
  // them in registers across the loop (members would be reloaded and stored
  // around every call, and observeSampled() may touch any member).
  std::uint64_t bytes = 0;
  unsigned __int128 squares = 0;
  const std::uint64_t salt = config_.sampleSalt, threshold = sampleThreshold_;
  std::uint8_t* const hll = hll_.data();
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const Request& r = requests[i];
    bytes += r.sizeBytes;
    squares += static_cast<unsigned __int128>(r.sizeBytes) * r.sizeBytes;
    const std::uint64_t h = mixKey(r.key ^ salt);
    const std::size_t reg = h >> 54;
    const auto rank = static_cast<std::uint8_t>(std::countl_zero((h << 10) | (1ull << 9)) + 1);
    if (rank > hll[reg]) hll[reg] = rank;
    if ((h >> 40) < threshold) observeSampled(r, firstIndex + i);
  }
  requests_ += requests.size();
  bytes_ += bytes;
  sizeSquares_ += squares;
}

void WindowFeatureTracker::observeSampled(const Request& r, std::uint64_t index) noexcept {
  ++sampled_;
  pending_.push_back(r);
  if (pending_.size() == kShadowBatch) flushShadows();
  auto [it, inserted] = sampledKeys_.try_emplace(r.key);
  SampledKey& k = it->second;
  if (inserted) {
    ++reuse_[kReuseBuckets - 1];
  } else {
    const std::uint64_t d = std::max<std::uint64_t>(1, index - k.lastIndex);
    ++reuse_[std::min<std::size_t>(kReuseBuckets - 2, static_cast<std::size_t>(std::bit_width(d) - 1))];
  }
  k.lastIndex = index;
  if (k.window == windowTag_) {
    ++windowCounts_[k.slot];
  } else {
    k.window = windowTag_;
    k.slot = static_cast<std::uint32_t>(windowCounts_.size());
    windowCounts_.push_back(1);
  }
}

void WindowFeatureTracker::flushShadows() noexcept {
  // Shadow by shadow over the batch rather than request by request over the
  // shadows: each shadow's state stays in the CPU caches for the whole batch
  // (same results: every shadow still sees the sampled requests in order).
  shadows_->access(pending_);
  for (const Request& r : pending_) lru_->access(r.key, r.sizeBytes);
  pending_.clear();
}

void WindowFeatureTracker::lowerShadowRates() noexcept {
  // Why per-capacity rates: a shadow's estimate needs enough sampled objects
  // competing for it, and a shadow of capacity C at rate r holds about
  // r x C / (mean object size) of them. At one rate for all, the largest
  // capacities hold ~100x more objects than the smallest of a geometric grid
  // while costing as much per sampled request (and more in CPU-cache misses).
  // Halving a capacity's rate once its shadows hold more than
  // 2 x shadowObjects keeps them between shadowObjects and twice that;
  // capacities that hold fewer (small ones, small traces) keep the full rate.
  // Between windows, so each window's estimate comes from one rate per shadow.
  //
  // What a lower rate costs is noise in *which* keys are sampled: a window's
  // estimate at rate r rests on r x requests sampled requests. Most of that
  // noise is shared by every policy at the same capacity (the same hot or
  // cold keys are in or out of the sample), so close() estimates policy P at
  // a lowered capacity as  LRU(full rate) + [P(rate r) - LRU(rate r)]:  the
  // bracket is measured on one subsample, where the shared noise cancels,
  // and the LRU stack supplies the full-rate level (a control variate).
  const std::size_t target = config_.shadowObjects;
  if (target == 0 || bankRows_ == 0) return;
  for (std::size_t c = 0; c < grid_; ++c) {
    // The fewest objects any policy holds there (size-aware policies such as
    // GDSF hold many more small objects than LRU at the same capacity).
    std::size_t held = SIZE_MAX;
    for (std::size_t row = 0; row < bankRows_; ++row)
      if (shadows_->valid(bankIndex(row, c))) held = std::min(held, shadows_->objectCount(bankIndex(row, c)));
    if (held == SIZE_MAX || held <= 2 * target) continue;
    const std::uint32_t want = static_cast<std::uint32_t>(std::bit_width(held / target) - 1);
    const std::uint32_t maxLevel = std::min({config_.maxRateHalvings, ShadowBank::kMaxLevel,
                                             static_cast<std::uint32_t>(std::bit_width(sampleThreshold_) - 1)});
    const std::uint32_t level = std::min(levels_[c] + want, maxLevel);
    if (level <= levels_[c]) continue;
    const std::uint32_t halvings = level - levels_[c];
    for (std::size_t row = 0; row < bankRows_; ++row) shadows_->lowerRate(bankIndex(row, c), halvings);
    const std::size_t control = bankIndex(bankRows_, c);
    if (shadows_->active(control)) {
      shadows_->lowerRate(control, halvings);
    } else {
      // The control starts warm: an LRU cache holds the longest prefix of
      // its (sub)sample's recency stack that fits, read off the full-rate stack.
      const std::uint32_t threshold = static_cast<std::uint32_t>(sampleThreshold_) >> level;
      const std::uint64_t capacity = scaledCapacity(config_.capacityGrid[c], threshold);
      std::vector<ShadowBank::SeedObject> seed;
      std::uint64_t used = 0;
      lru_->forEachRecent([&](std::uint64_t key, std::uint64_t bytes) {
        if (sampleHash(key, config_.sampleSalt) >= threshold || bytes > capacity) return true;
        if (used + bytes > capacity) return false;
        used += bytes;
        seed.push_back({key, bytes});
        return true;
      });
      std::reverse(seed.begin(), seed.end());
      shadows_->activate(control, level, seed);
    }
    levels_[c] = level;
  }
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
  std::vector<std::uint32_t>& counts = windowCounts_;  // cleared below
  const auto once = static_cast<std::size_t>(std::count(counts.begin(), counts.end(), 1u));
  f.oneHitWonderFraction = counts.empty() ? 0.0 : double(once) / double(counts.size());
  if (counts.size() >= 3) {
    const std::size_t n = std::min<std::size_t>(counts.size(), 200);
    std::partial_sort(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(n), counts.end(), std::greater<>());
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
  f.hitRatio.assign(f.policies.size() * grid_, 0.0);
  f.byteHitRatio.assign(f.policies.size() * grid_, 0.0);
  // SHARDS-adj (Waldspurger et al., FAST'15): the sample holds more or
  // fewer requests than rate x requests when hot keys fall in or out of it;
  // dividing the sampled misses by the *expected* sample size, instead of
  // the actual one, removes most of that bias. Miss ratios per shadow:
  const auto missRatio = [&](double rate, std::uint64_t misses) {
    const double expected = rate * double(requests_);
    return expected > 0 ? double(misses) / expected : 1.0;
  };
  const auto missByteRatio = [&](double rate, std::uint64_t missBytes) {
    const double expected = rate * double(bytes_);
    return expected > 0 ? double(missBytes) / expected : 1.0;
  };
  const double fullRate = sampleRate(static_cast<std::uint32_t>(sampleThreshold_));
  std::vector<double> lruMiss(grid_), lruMissBytes(grid_);
  for (std::size_t c = 0; c < grid_; ++c) {
    lruMiss[c] = missRatio(fullRate, lru_->requests() - lru_->hits(c));
    lruMissBytes[c] = missByteRatio(fullRate, lru_->bytesRequested() - lru_->bytesHit(c));
  }
  shadowAccesses_ += lru_->requests();
  for (std::size_t i = 0; i < shadows_->size(); ++i) shadowAccesses_ += shadows_->stats(i).requests;
  for (std::size_t p = 0; p < f.policies.size(); ++p) {
    for (std::size_t c = 0; c < grid_; ++c) {
      double miss = lruMiss[c], missBytes = lruMissBytes[c];
      if (bankRow_[p] >= 0) {
        const std::size_t i = bankIndex(static_cast<std::size_t>(bankRow_[p]), c);
        if (!shadows_->valid(i)) continue;
        const CacheStats& s = shadows_->stats(i);
        const double rate = shadows_->samplingRate(i);
        if (levels_[c] == 0) {
          miss = missRatio(rate, s.misses());
          missBytes = missByteRatio(rate, s.missBytes());
        } else {
          const CacheStats& ctl = shadows_->stats(bankIndex(bankRows_, c));
          miss += missRatio(rate, s.misses()) - missRatio(rate, ctl.misses());
          missBytes += missByteRatio(rate, s.missBytes()) - missByteRatio(rate, ctl.missBytes());
        }
      }
      f.hitRatio[p * grid_ + c] = requests_ ? std::clamp(1.0 - miss, 0.0, 1.0) : 0.0;
      f.byteHitRatio[p * grid_ + c] = bytes_ ? std::clamp(1.0 - missBytes, 0.0, 1.0) : 0.0;
    }
  }
  shadows_->resetStats();
  lru_->resetStats();
  lowerShadowRates();
  f.sampledRequests = sampled_;
  f.capacityBytes = capacityBytes;
  f.policy = policy;

  requests_ = bytes_ = hits_ = byteHits_ = sampled_ = 0;
  sizeSquares_ = 0;
  hll_.fill(0);
  windowCounts_.clear();
  if (++windowTag_ == 0) {  // after 2^32 - 1 windows: no key may keep a reused tag
    for (auto& [key, k] : sampledKeys_) k.window = 0;
    windowTag_ = 1;
  }
  reuse_.fill(0);
  return f;
}

}  // namespace edgecache::cachelib
