#pragma once
// The DRL agent's view of a window: cachelib::WindowFeatures turned into two
// fixed-size float vectors (no torch here), and the mapping between the
// continuous capacity action and bytes.
//
// Layout (schema kFeatureSchema, version-pinned: a model file records it and
// is refused by a build whose schema differs):
//  * per-policy block, one row per online registry policy (K rows, registry id
//    order), kPerPolicyDims floats each: the policy's estimated window cost at
//    kCostGridPoints capacities spaced evenly in log-bytes from floor to
//    ceiling (rental + egress from the what-if byte hit ratios, divided by
//    the window's all-miss egress cost), its minimum, where the minimum lies
//    (capacity action in [0, 1]), its estimated cost at the current capacity,
//    and whether it is the current policy;
//    then the same cost curve smoothed over recent windows (the average of
//    the dollar costs divided by the average all-miss egress: a running mean
//    over the first 1/kSmoothing windows, then an exponential average with
//    weight kSmoothing per new window), its minimum and where it lies;
//  * global block, kGlobalDims floats: the current capacity action, observed
//    hit ratios, the window's actual cost split, traffic shape (unique
//    objects per request, one-hit wonders, Zipf skew, object size spread, the
//    reuse-distance histogram), window-to-window deltas, the log size of
//    the [floor, ceiling] range, then log(window duration / its smoothed
//    value) and the smoothed curves' best cost and where it lies.
// Why smoothed curves: a window's rental is priced by its own duration, so a
// nearly idle window (few requests over a long time) makes capacity look
// expensive for one window, and a cold first window makes it look useless.
// A controller that reads only the last window shrinks there and then pays
// to refill what it evicted (joint-greedy does, on cloudPhysicsIO). The
// average over ~1/kSmoothing windows, the horizon of the reward's discount,
// shows whether the change lasts.
// Every value but log_mean_size is scale-free (ratios, fractions, logs of
// ratios), so one model serves traces of any volume; the model's running
// normaliser then standardises them (log_mean_size is in log-bytes: a model
// trained on one size range sees it out of range elsewhere, which is why the
// training workloads randomise object sizes, training_workloads.h).
//
// Thread safety: a FeatureEncoder is not synchronised (one per controller or
// episode). Complexity: O(K x kCostGridPoints) interpolations per window; the
// capacities, their rental and their place on the what-if grid are computed
// once per window, not per policy (~2 us per window instead of ~12 us).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "cachelib/controller.h"

namespace edgecache::agent {

inline constexpr std::size_t kCostGridPoints = 12;
inline constexpr std::size_t kPerPolicyDims = 2 * kCostGridPoints + 6;
inline constexpr std::size_t kGlobalDims = 16 + cachelib::kReuseBuckets + 3;
// Weight of the newest window in the smoothed cost curves: 1 - gamma of the
// training discount (0.9), i.e. an average over the reward's horizon.
inline constexpr double kSmoothing = 0.1;
// Names every feature in order; a model trained on another schema is refused.
inline constexpr const char* kFeatureSchema =
    "edgecache-drl-features/2;per_policy=cost@12 log-spaced capacities,min_cost,argmin_action,cost_at_current,"
    "is_current,smoothed_cost@12,smoothed_min_cost,smoothed_argmin_action;global=capacity_action,hit_ratio,"
    "byte_hit_ratio,cost,rental,egress,log_unique_per_request,one_hit_wonders,zipf_skew,log_mean_size,size_cv,"
    "delta_byte_hit_ratio,best_est_cost,delta_best_est_cost,greedy_argmin_action,log_range,reuse_histogram[24],"
    "log_duration_vs_smoothed,smoothed_best_cost,smoothed_best_action;smoothing=running mean then exponential 0.1";

// One encoded window. perPolicy is row-major [K][kPerPolicyDims].
struct Observation {
  std::vector<float> global;
  std::vector<float> perPolicy;
};

// The registry ids the categorical action indexes, in order (onlinePolicies()).
std::vector<cachelib::PolicyId> actionPolicyIds();

// Capacity action u in [0, 1] <-> bytes: floor * (ceiling / floor)^u, i.e.
// linear in log-bytes. Results are clamped into [floor, ceiling] / [0, 1].
std::uint64_t capacityFromAction(const cachelib::ControlContext& context, double u) noexcept;
double actionFromCapacity(const cachelib::ControlContext& context, double capacityBytes) noexcept;

// The decision before any window was observed (shared by the controller and
// training so both see the same first window): the geometric middle of
// [floor, ceiling] with the first online policy, as joint-greedy starts.
cachelib::Decision initialDecision(const cachelib::ControlContext& context);

class FeatureEncoder {
 public:
  FeatureEncoder(const cachelib::ControlContext& context, std::vector<cachelib::PolicyId> policies);
  // Encodes `f` (the window that just ended; `f.capacityBytes`/`f.policy` are
  // the decision that was in force). Remembers it for the next window's deltas.
  void encode(const cachelib::WindowFeatures& f, Observation& out);
  // Forgets the previous windows (a new episode / start()).
  void reset() noexcept {
    havePrevious_ = false;
    smoothedWindows_ = 0;
    curveWindows_.assign(curveWindows_.size(), 0);
  }
  std::size_t policies() const noexcept { return policies_.size(); }

 private:
  cachelib::ControlContext context_;
  std::vector<cachelib::PolicyId> policies_;
  static constexpr std::size_t kFinePoints = 4 * (kCostGridPoints - 1) + 1;  // refinement grid of the argmin
  std::array<double, kCostGridPoints> gridBytes_{};
  std::array<double, kFinePoints> fineBytes_{};
  bool havePrevious_ = false;
  double previousByteHitRatio_ = 0.0;
  double previousBestCost_ = 0.0;
  // Smoothed (exponential average) dollars: per policy x grid point, the
  // all-miss egress unit and the window duration.
  std::vector<double> smoothedCost_;
  double smoothedUnit_ = 0.0;
  double smoothedSeconds_ = 0.0;
  std::uint64_t smoothedWindows_ = 0;          // windows in the unit/duration averages
  std::vector<std::uint64_t> curveWindows_;   // per policy: windows in its curve's average
};

// The name of value `index` of the concatenated [global, perPolicy]
// observation (kGlobalDims + policies x kPerPolicyDims values), following
// kFeatureSchema: "log_mean_size", "reuse[3]", "lru.cost@5",
// "s3fifo.smoothed_min_cost", ... ("policy7.x" for an id without a registry
// name); "?" past the end.
std::string featureName(std::size_t index, std::size_t policies);

// Values of a normalised observation at the normaliser's clip (|z| >=
// RunningNorm::kClip): inputs outside the range the model was trained on.
// Indices into the concatenated [global, perPolicy] vector.
std::vector<std::size_t> clippedFeatures(const Observation& normalised);

// Per-feature running mean/variance (Welford, in double), frozen into the
// model file. apply() standardises and clips to +-kClip.
class RunningNorm {
 public:
  static constexpr double kClip = 5.0;
  explicit RunningNorm(std::size_t dims = 0) : count_(0), mean_(dims, 0.0), m2_(dims, 0.0) {}
  // Adds one row of `dims` values.
  void add(std::span<const float> row) noexcept;
  // Standardises `values` in place; its length must be a multiple of dims
  // (each row is standardised with the same statistics).
  void apply(std::span<float> values) const noexcept;
  std::size_t dims() const noexcept { return mean_.size(); }
  double count() const noexcept { return count_; }
  const std::vector<double>& mean() const noexcept { return mean_; }
  std::vector<double> variance() const;
  // Restores statistics saved with variance() (count > 0).
  void restore(double count, std::vector<double> mean, const std::vector<double>& variance);

 private:
  double count_;
  std::vector<double> mean_, m2_;
};

}  // namespace edgecache::agent
