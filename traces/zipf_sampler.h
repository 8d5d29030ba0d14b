#pragma once
// Internal to traces/: Zipf-distributed ranks, P(k) ~ 1 / k^alpha for k in
// [1, n], by Hörmann & Derflinger's rejection-inversion ("Rejection-inversion
// to generate variates from monotone discrete distributions", 1996), as in
// Apache Commons RNG. O(1) memory and O(1) expected time per sample (< 1.1
// tries on average for any alpha), so 1M objects cost nothing to set up.
//
// Immutable after construction; sample() takes the caller's PRNG.

#include <cstdint>

#include "traces/prng.h"

namespace edgecache::traces {

class ZipfSampler {
 public:
  // n >= 1 (0 is treated as 1); alpha >= 0 (negative is treated as 0 = uniform).
  ZipfSampler(std::uint64_t n, double alpha) noexcept;

  // A rank in [1, n]; 1 is the most popular.
  std::uint64_t sample(Xoshiro256& rng) const noexcept;

  std::uint64_t size() const noexcept { return n_; }

 private:
  double h(double x) const noexcept;
  double hIntegral(double x) const noexcept;
  double hIntegralInverse(double x) const noexcept;

  std::uint64_t n_;
  double alpha_;
  double hIntegralX1_ = 0.0;
  double hIntegralN_ = 0.0;
  double s_ = 0.0;
};

}  // namespace edgecache::traces
