#include "agent/features.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "cachelib/policy_registry.h"

namespace edgecache::agent {

using cachelib::ControlContext;
using cachelib::PolicyId;
using cachelib::WindowFeatures;

std::vector<PolicyId> actionPolicyIds() {
  std::vector<PolicyId> ids;
  for (const auto& p : cachelib::onlinePolicies()) ids.push_back(p.id);
  return ids;
}

namespace {
double logRange(const ControlContext& c) noexcept {
  const double lo = double(std::max<std::uint64_t>(1, c.floorBytes));
  const double hi = std::max(lo, double(c.ceilingBytes));
  return std::log(hi / lo);
}
}  // namespace

std::uint64_t capacityFromAction(const ControlContext& c, double u) noexcept {
  const std::uint64_t lo = std::max<std::uint64_t>(1, c.floorBytes);
  const std::uint64_t hi = std::max(lo, c.ceilingBytes);
  if (!(u > 0.0)) return lo;  // also NaN
  if (u >= 1.0) return hi;
  const double bytes = double(lo) * std::exp(u * logRange(c));
  return std::clamp<std::uint64_t>(static_cast<std::uint64_t>(std::llround(bytes)), lo, hi);
}

double actionFromCapacity(const ControlContext& c, double capacityBytes) noexcept {
  const double range = logRange(c);
  if (range <= 0.0 || !(capacityBytes > 0.0)) return 0.0;
  return std::clamp(std::log(capacityBytes / double(std::max<std::uint64_t>(1, c.floorBytes))) / range, 0.0, 1.0);
}

cachelib::Decision initialDecision(const ControlContext& c) {
  const auto ids = actionPolicyIds();
  return cachelib::Decision{capacityFromAction(c, 0.5), ids.empty() ? PolicyId{0} : ids.front()};
}

FeatureEncoder::FeatureEncoder(const ControlContext& context, std::vector<PolicyId> policies)
    : context_(context), policies_(std::move(policies)) {
  for (std::size_t j = 0; j < kCostGridPoints; ++j)
    gridBytes_[j] = double(capacityFromAction(context_, double(j) / double(kCostGridPoints - 1)));
  for (std::size_t j = 0; j < kFinePoints; ++j)
    fineBytes_[j] = double(capacityFromAction(context_, double(j) / double(kFinePoints - 1)));
}

namespace {
// Where x lies on the what-if grid, with exactly the arithmetic of
// WindowFeatures::estimateByteHitRatio (clamped ends: lo == hi, t == 0).
struct Lerp {
  std::size_t lo = 0, hi = 0;
  double t = 0.0;
};
Lerp locate(const std::vector<std::uint64_t>& xs, double x) noexcept {
  if (x <= double(xs.front())) return {0, 0, 0.0};
  if (x >= double(xs.back())) return {xs.size() - 1, xs.size() - 1, 0.0};
  const auto it = std::upper_bound(xs.begin(), xs.end(), x, [](double v, std::uint64_t e) { return v < double(e); });
  const std::size_t hi = static_cast<std::size_t>(it - xs.begin());
  return {hi - 1, hi, (x - double(xs[hi - 1])) / (double(xs[hi]) - double(xs[hi - 1]))};
}
}  // namespace

void FeatureEncoder::encode(const WindowFeatures& f, Observation& out) {
  const std::size_t k = policies_.size();
  out.global.assign(kGlobalDims, 0.0f);
  out.perPolicy.assign(k * kPerPolicyDims, 0.0f);
  const auto& prices = context_.prices;
  // All-miss egress of the window: the unit every cost is expressed in, so
  // features do not depend on the traffic volume.
  const double unit = std::max(cachelib::egressDollars(prices, double(f.bytes)), 1e-12);
  const double seconds = f.durationSeconds;
  const double currentAction = actionFromCapacity(context_, double(f.capacityBytes));
  double bestCost = 1e300, bestAction = currentAction;
  const bool haveWhatIf = f.requests > 0 && !f.policies.empty() && !f.capacities.empty() &&
                          f.byteHitRatio.size() >= f.policies.size() * f.capacities.size();
  // Every capacity the features look at (coarse grid, fine grid, current),
  // its rental and its place on the what-if grid: the same for every policy,
  // so computed once per window.
  constexpr std::size_t kPoints = kCostGridPoints + kFinePoints + 1;
  std::array<double, kPoints> rental{};
  std::array<Lerp, kPoints> where{};
  if (haveWhatIf) {
    for (std::size_t i = 0; i < kPoints; ++i) {
      const double capacity = i < kCostGridPoints             ? gridBytes_[i]
                              : i < kCostGridPoints + kFinePoints ? fineBytes_[i - kCostGridPoints]
                                                                  : double(f.capacityBytes);
      rental[i] = cachelib::rentalDollars(prices, capacity, seconds);
      where[i] = locate(f.capacities, capacity);
    }
  }
  auto dollarsAt = [&](const double* ys, std::size_t i) {
    const Lerp& l = where[i];
    const double missBytes = double(f.bytes) * (1.0 - (ys[l.lo] + l.t * (ys[l.hi] - ys[l.lo])));
    return rental[i] + cachelib::egressDollars(prices, missBytes);
  };
  auto costAt = [&](const double* ys, std::size_t i) { return dollarsAt(ys, i) / unit; };
  // Smoothed curves: a running mean over the first 1/kSmoothing windows, an
  // exponential average after (bias-corrected start: the cold first window
  // does not linger with weight 0.9^n).
  // An empty window (none observed yet) leaves the averages alone.
  if (f.requests > 0) {
    ++smoothedWindows_;
    const double w = std::max(kSmoothing, 1.0 / double(smoothedWindows_));
    smoothedUnit_ += w * (unit - smoothedUnit_);
    smoothedSeconds_ += w * (seconds - smoothedSeconds_);
  }
  smoothedCost_.resize(k * kCostGridPoints, 0.0);
  curveWindows_.resize(k, 0);
  double smoothedBest = 0.0, smoothedBestAction = currentAction;
  bool haveSmoothedBest = false;
  for (std::size_t i = 0; i < k; ++i) {
    float* row = out.perPolicy.data() + i * kPerPolicyDims;
    int p = haveWhatIf ? f.policyIndex(policies_[i]) : -1;
    // A policy without what-if estimates (shadowPolicies restricted) borrows
    // the current policy's, else the first one's: neutral rather than zero.
    if (p < 0 && haveWhatIf) p = std::max(0, f.policyIndex(f.policy));
    double minCost = 0.0, argmin = currentAction, atCurrent = 0.0;
    if (p >= 0) {
      const double* ys = f.byteHitRatio.data() + std::size_t(p) * f.capacities.size();
      minCost = 1e300;
      for (std::size_t j = 0; j < kCostGridPoints; ++j) {
        const double c = costAt(ys, j);
        row[j] = float(c);
        if (c < minCost) minCost = c, argmin = double(j) / double(kCostGridPoints - 1);
      }
      // Refine the minimum on a 4x finer grid: the action is continuous.
      for (std::size_t j = 0; j < kFinePoints; ++j) {
        const double c = costAt(ys, kCostGridPoints + j);
        if (c < minCost) minCost = c, argmin = double(j) / double(kFinePoints - 1);
      }
      atCurrent = costAt(ys, kPoints - 1);
      if (minCost < bestCost) bestCost = minCost, bestAction = argmin;
      // Smoothed curve (dollars averaged, then in the averaged unit).
      double* sm = smoothedCost_.data() + i * kCostGridPoints;
      double sMin = 1e300, sArgmin = currentAction;
      const double wc = std::max(kSmoothing, 1.0 / double(++curveWindows_[i]));
      for (std::size_t j = 0; j < kCostGridPoints; ++j) {
        sm[j] += wc * (dollarsAt(ys, j) - sm[j]);
        const double c = sm[j] / std::max(smoothedUnit_, 1e-12);
        row[kCostGridPoints + 4 + j] = float(c);
        if (c < sMin) sMin = c, sArgmin = double(j) / double(kCostGridPoints - 1);
      }
      row[2 * kCostGridPoints + 4] = float(sMin);
      row[2 * kCostGridPoints + 5] = float(sArgmin);
      if (!haveSmoothedBest || sMin < smoothedBest) smoothedBest = sMin, smoothedBestAction = sArgmin;
      haveSmoothedBest = true;
    }
    row[kCostGridPoints + 0] = float(minCost);
    row[kCostGridPoints + 1] = float(argmin);
    row[kCostGridPoints + 2] = float(atCurrent);
    row[kCostGridPoints + 3] = policies_[i] == f.policy ? 1.0f : 0.0f;
  }
  if (!haveWhatIf) bestCost = 0.0;

  const double bhr = f.byteHitRatioObserved();
  float* g = out.global.data();
  g[0] = float(currentAction);
  g[1] = float(f.hitRatioObserved());
  g[2] = float(bhr);
  g[3] = float(f.cost.total() / unit);
  g[4] = float(f.cost.rental / unit);
  g[5] = float(f.cost.egress / unit);
  g[6] = f.requests ? float(std::log(std::max(1.0, f.uniqueObjects) / double(f.requests))) : 0.0f;
  g[7] = float(f.oneHitWonderFraction);
  g[8] = float(f.popularitySkew);
  g[9] = float(std::log1p(std::max(0.0, f.meanObjectBytes)));
  g[10] = f.meanObjectBytes > 0 ? float(std::sqrt(std::max(0.0, f.varObjectBytes)) / f.meanObjectBytes) : 0.0f;
  g[11] = havePrevious_ ? float(bhr - previousByteHitRatio_) : 0.0f;
  g[12] = float(bestCost);
  g[13] = havePrevious_ ? float(bestCost - previousBestCost_) : 0.0f;
  g[14] = float(bestAction);
  g[15] = float(logRange(context_));
  for (std::size_t b = 0; b < cachelib::kReuseBuckets; ++b) g[16 + b] = float(f.reuseHistogram[b]);
  constexpr std::size_t kSmoothedGlobal = 16 + cachelib::kReuseBuckets;
  g[kSmoothedGlobal + 0] =
      seconds > 0.0 && smoothedSeconds_ > 0.0 ? float(std::log(seconds / smoothedSeconds_)) : 0.0f;
  g[kSmoothedGlobal + 1] = float(smoothedBest);
  g[kSmoothedGlobal + 2] = float(smoothedBestAction);
  for (float& v : out.global)
    if (!std::isfinite(v)) v = 0.0f;
  for (float& v : out.perPolicy)
    if (!std::isfinite(v)) v = 0.0f;
  havePrevious_ = true;
  previousByteHitRatio_ = bhr;
  previousBestCost_ = bestCost;
}

namespace {
constexpr const char* kGlobalNames[] = {
    "capacity_action", "hit_ratio", "byte_hit_ratio", "cost", "rental", "egress", "log_unique_per_request",
    "one_hit_wonders", "zipf_skew", "log_mean_size", "size_cv", "delta_byte_hit_ratio", "best_est_cost",
    "delta_best_est_cost", "greedy_argmin_action", "log_range"};
constexpr const char* kGlobalTailNames[] = {"log_duration_vs_smoothed", "smoothed_best_cost", "smoothed_best_action"};
constexpr const char* kRowNames[] = {"min_cost", "argmin_action", "cost_at_current", "is_current"};
static_assert(std::size(kGlobalNames) + cachelib::kReuseBuckets + std::size(kGlobalTailNames) == kGlobalDims);
static_assert(2 * kCostGridPoints + std::size(kRowNames) + 2 == kPerPolicyDims);
}  // namespace

std::string featureName(std::size_t index, std::size_t policies) {
  if (index < kGlobalDims) {
    if (index < std::size(kGlobalNames)) return kGlobalNames[index];
    index -= std::size(kGlobalNames);
    if (index < cachelib::kReuseBuckets) return "reuse[" + std::to_string(index) + "]";
    return kGlobalTailNames[index - cachelib::kReuseBuckets];
  }
  index -= kGlobalDims;
  const std::size_t k = index / kPerPolicyDims, j = index % kPerPolicyDims;
  if (k >= policies) return "?";
  const auto ids = actionPolicyIds();
  const auto* info = k < ids.size() ? cachelib::findPolicy(ids[k]) : nullptr;
  const std::string policy = info ? std::string(info->name) : "policy" + std::to_string(k);
  if (j < kCostGridPoints) return policy + ".cost@" + std::to_string(j);
  if (j < kCostGridPoints + std::size(kRowNames)) return policy + "." + kRowNames[j - kCostGridPoints];
  const std::size_t m = j - kCostGridPoints - std::size(kRowNames);
  if (m < kCostGridPoints) return policy + ".smoothed_cost@" + std::to_string(m);
  return policy + (m == kCostGridPoints ? ".smoothed_min_cost" : ".smoothed_argmin_action");
}

std::vector<std::size_t> clippedFeatures(const Observation& z) {
  std::vector<std::size_t> out;
  // float(kClip) is exactly what apply() stores at the bound.
  const float bound = float(RunningNorm::kClip);
  for (std::size_t i = 0; i < z.global.size(); ++i)
    if (std::fabs(z.global[i]) >= bound) out.push_back(i);
  for (std::size_t i = 0; i < z.perPolicy.size(); ++i)
    if (std::fabs(z.perPolicy[i]) >= bound) out.push_back(kGlobalDims + i);
  return out;
}

void RunningNorm::add(std::span<const float> row) noexcept {
  if (row.size() != mean_.size()) return;
  count_ += 1.0;
  for (std::size_t i = 0; i < row.size(); ++i) {
    const double d = double(row[i]) - mean_[i];
    mean_[i] += d / count_;
    m2_[i] += d * (double(row[i]) - mean_[i]);
  }
}

std::vector<double> RunningNorm::variance() const {
  std::vector<double> v(mean_.size(), 1.0);
  if (count_ > 1.0)
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = m2_[i] / count_;
  return v;
}

void RunningNorm::restore(double count, std::vector<double> mean, const std::vector<double>& variance) {
  count_ = count;
  mean_ = std::move(mean);
  m2_.resize(mean_.size());
  for (std::size_t i = 0; i < m2_.size(); ++i) m2_[i] = (i < variance.size() ? variance[i] : 1.0) * count_;
}

void RunningNorm::apply(std::span<float> values) const noexcept {
  const std::size_t d = mean_.size();
  if (d == 0) return;
  const auto var = variance();
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::size_t j = i % d;
    // Statistics rounded to float, as the model file stores them: a loaded
    // model computes exactly what the trained one did.
    const double mean = double(float(mean_[j]));
    // Features that never varied (a constant range, a one-hot that stayed 0)
    // keep unit scale instead of exploding.
    const double sd = std::sqrt(std::max(double(float(var[j])), 1e-8));
    const double z = sd < 1e-4 ? double(values[i]) - mean : (double(values[i]) - mean) / sd;
    values[i] = float(std::clamp(z, -kClip, kClip));
  }
}

}  // namespace edgecache::agent
