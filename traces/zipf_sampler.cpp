#include "traces/zipf_sampler.h"

#include <cmath>

namespace edgecache::traces {
namespace {

// log1p(x)/x and expm1(x)/x, with their Taylor series near 0 where the
// division would lose precision (alpha close to 1).
double log1pOverX(double x) noexcept {
  return std::fabs(x) > 1e-8 ? std::log1p(x) / x : 1.0 - x * (0.5 - x * (1.0 / 3.0 - 0.25 * x));
}
double expm1OverX(double x) noexcept {
  return std::fabs(x) > 1e-8 ? std::expm1(x) / x : 1.0 + x * 0.5 * (1.0 + x / 3.0 * (1.0 + 0.25 * x));
}

}  // namespace

ZipfSampler::ZipfSampler(std::uint64_t n, double alpha) noexcept
    : n_(n == 0 ? 1 : n), alpha_(alpha > 0.0 ? alpha : 0.0) {
  hIntegralX1_ = hIntegral(1.5) - 1.0;
  hIntegralN_ = hIntegral(static_cast<double>(n_) + 0.5);
  s_ = 2.0 - hIntegralInverse(hIntegral(2.5) - h(2.0));
}

double ZipfSampler::h(double x) const noexcept { return std::exp(-alpha_ * std::log(x)); }

double ZipfSampler::hIntegral(double x) const noexcept {
  const double logX = std::log(x);
  return expm1OverX((1.0 - alpha_) * logX) * logX;
}

double ZipfSampler::hIntegralInverse(double x) const noexcept {
  double t = x * (1.0 - alpha_);
  if (t < -1.0) t = -1.0;  // rounding guard; the exact value is always >= -1
  return std::exp(log1pOverX(t) * x);
}

std::uint64_t ZipfSampler::sample(Xoshiro256& rng) const noexcept {
  if (alpha_ == 0.0) return rng.below(n_) + 1;
  const double maxRank = static_cast<double>(n_);
  for (;;) {
    const double u = hIntegralN_ + rng.uniform() * (hIntegralX1_ - hIntegralN_);
    const double x = hIntegralInverse(u);
    double k = std::floor(x + 0.5);
    if (k < 1.0) k = 1.0;
    if (k > maxRank) k = maxRank;
    // Accept: k is close to x, or u lies under the histogram bar of k.
    if (k - x <= s_ || u >= hIntegral(k + 0.5) - h(k)) return static_cast<std::uint64_t>(k);
  }
}

}  // namespace edgecache::traces
