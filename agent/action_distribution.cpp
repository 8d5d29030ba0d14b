#include "agent/action_distribution.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace edgecache::agent {

double Rng::normal() noexcept {
  const double u1 = 1.0 - uniform();  // (0, 1]
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::gamma(double shape) noexcept {
  if (shape < 1.0) {  // boost: Gamma(a) = Gamma(a + 1) * U^(1/a)
    const double g = gamma(shape + 1.0);
    return g * std::pow(1.0 - uniform(), 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = 1.0 - uniform();
    if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
  }
}

double betaLogPdf(double u, double a, double b) noexcept {
  u = std::clamp(u, kActionEpsilon, 1.0 - kActionEpsilon);
  return (a - 1.0) * std::log(u) + (b - 1.0) * std::log1p(-u) -
         (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
}

std::vector<double> policyProbabilities(const PolicyOutput& out) {
  std::vector<double> p(out.logits.size());
  if (p.empty()) return p;
  const double m = *std::max_element(out.logits.begin(), out.logits.end());
  double sum = 0.0;
  for (std::size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp(double(out.logits[i]) - m);
  for (double& v : p) v /= sum;
  return p;
}

LogProbParts logProb(const PolicyOutput& out, const Action& a) noexcept {
  LogProbParts parts;
  if (a.policyIndex >= out.logits.size()) return parts;
  const double m = *std::max_element(out.logits.begin(), out.logits.end());
  double sum = 0.0;
  for (float l : out.logits) sum += std::exp(double(l) - m);
  parts.policy = double(out.logits[a.policyIndex]) - m - std::log(sum);
  parts.capacity = betaLogPdf(a.capacityAction, out.alpha[a.policyIndex], out.beta[a.policyIndex]);
  return parts;
}

Action deterministicAction(const PolicyOutput& out) noexcept {
  Action a;
  if (out.logits.empty()) return a;
  a.policyIndex = static_cast<std::size_t>(std::max_element(out.logits.begin(), out.logits.end()) - out.logits.begin());
  const double al = out.alpha[a.policyIndex], be = out.beta[a.policyIndex];
  a.capacityAction = al + be > 2.0 + 1e-9 ? std::clamp((al - 1.0) / (al + be - 2.0), 0.0, 1.0) : 0.5;
  return a;
}

Action sampleAction(const PolicyOutput& out, Rng& rng) noexcept {
  Action a;
  if (out.logits.empty()) return a;
  const auto p = policyProbabilities(out);
  double r = rng.uniform();
  a.policyIndex = p.size() - 1;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (r < p[i]) {
      a.policyIndex = i;
      break;
    }
    r -= p[i];
  }
  const double x = rng.gamma(out.alpha[a.policyIndex]), y = rng.gamma(out.beta[a.policyIndex]);
  a.capacityAction = std::clamp(x / std::max(x + y, 1e-300), kActionEpsilon, 1.0 - kActionEpsilon);
  return a;
}

}  // namespace edgecache::agent
