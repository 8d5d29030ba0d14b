#pragma once
// Drift detection for the online DRL controller (no torch here).
//
// The signal (windowDriftSignal): each window's *what-if* miss ratio (by
// requests) of the first what-if policy (LRU, registry order) at the middle
// capacity of the what-if grid.
// It comes from the feature tracker's sampled shadow caches, which run at
// fixed capacities whatever the controller decides, so it moves when the
// workload moves (popularity rotates, a flash crowd starts or ends, the
// working set grows) and not when the agent itself resizes or switches
// policy — a detector on the real miss ratio would fire on the agent's own
// decisions. By requests rather than bytes: with heavy-tailed object sizes
// the byte ratio of a sampled window is several times noisier.
//
// The test (PageHinkley): the two-sided Page-Hinkley test. With x_t the
// signal and xbar_t its running mean since the last alarm,
//   U_t = sum_{i<=t} (x_i - xbar_i - delta),   alarm up   when U_t - min_{i<=t} U_i > lambda
//   L_t = sum_{i<=t} (x_i - xbar_i + delta),   alarm down when max_{i<=t} L_i - L_t > lambda
// delta is the drift magnitude tolerated (per sample), lambda the evidence
// needed (in signal units); after an alarm the test restarts from scratch.
// For a stationary signal with per-window noise sigma, the chance of a
// false alarm per excursion is about exp(-2 delta lambda / sigma^2); a step
// of size s > delta is detected after about lambda / (s - delta) samples.
// The defaults (delta 0.01, lambda 0.2, in miss-ratio units) were set on
// the synthetic presets (10 000-request windows, 10 % key sampling), whose
// stationary window-to-window noise is sigma ~ 0.02: a false alarm per
// excursion of about exp(-2 * 0.01 * 0.2 / 0.02^2) = exp(-10); the flash
// crowd's step of ~0.2 (both when it starts and when it ends) is detected
// one window late, a sustained 0.05 shift in ~5; one-window blips (the
// rotating preset's rank shifts raise it by ~0.1 for one window, then the
// new hot set is cached) do not accumulate into an alarm.
// The shadow caches start cold, so the first windows after start show a
// falling miss ratio that is warm-up, not drift: the controller skips them
// (OnlineDrlController::Options::driftWarmupWindows).
//
// Thread safety: none (one detector per controller). Complexity: O(1) per
// sample. Non-finite samples are ignored (never an alarm, never a crash).

#include <cstddef>

#include "cachelib/window_features.h"

namespace edgecache::agent {

struct PageHinkleyConfig {
  double delta = 0.01;        // tolerated drift per sample (signal units)
  double lambda = 0.2;        // alarm threshold on the cumulative deviation (signal units)
  std::size_t minSamples = 4; // no alarm before this many samples since the last reset
};

class PageHinkley {
 public:
  explicit PageHinkley(PageHinkleyConfig config = {}) noexcept : config_(config) {}
  // Adds one sample; true when it raises an alarm (the test then restarts).
  bool add(double x) noexcept;
  void reset() noexcept;
  std::size_t samples() const noexcept { return n_; }
  double mean() const noexcept { return mean_; }
  const PageHinkleyConfig& config() const noexcept { return config_; }

 private:
  PageHinkleyConfig config_;
  std::size_t n_ = 0;
  double mean_ = 0.0;
  double up_ = 0.0, upMin_ = 0.0;      // U_t and its running minimum
  double down_ = 0.0, downMax_ = 0.0;  // L_t and its running maximum
};

// The drift signal described above, in [0, 1]; NaN when the window carries
// no what-if estimates (features off, or no sampled request), which the
// detector ignores.
double windowDriftSignal(const cachelib::WindowFeatures& features) noexcept;

}  // namespace edgecache::agent
