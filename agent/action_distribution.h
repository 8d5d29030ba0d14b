#pragma once
// The agent's joint action and its distribution, in plain C++ (no torch):
// a categorical over the K online policies, and — conditioned on the chosen
// policy k — a Beta(alpha_k, beta_k) over the capacity action u in [0, 1]
// (log-bytes between floor and ceiling, see features.h). The joint
// log-probability is log softmax(logits)[k] + log Beta(u; alpha_k, beta_k).
//
// Rollouts and the controller sample / pick actions here from the network's
// outputs; actor_critic.cpp computes the same quantities in torch for the
// PPO loss (a test pins that both agree). Deterministic and seeded: the
// generator is our own (xoshiro256**), not std::*_distribution.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "traces/prng.h"

namespace edgecache::agent {

// Network outputs for one observation.
struct PolicyOutput {
  std::vector<float> logits;  // [K] unnormalised policy scores
  std::vector<float> alpha;   // [K] Beta alpha of the capacity action given policy k (> 1)
  std::vector<float> beta;    // [K] Beta beta (> 1)
  float value = 0.0f;         // state value estimate (normalised reward units)
};

struct Action {
  std::size_t policyIndex = 0;  // index into the K online policies
  double capacityAction = 0.5;  // u in (0, 1)
};

struct LogProbParts {
  double policy = 0.0;    // log P(k)
  double capacity = 0.0;  // log p(u | k)
  double joint() const noexcept { return policy + capacity; }
};

// Samples are kept this far from 0 and 1 so their log-density stays finite.
inline constexpr double kActionEpsilon = 1e-4;

// Seeded sampling on the traces module's xoshiro256** stream (same seed, same
// samples on every machine), plus the distributions the policy needs.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept : gen_(seed) {}
  std::uint64_t next() noexcept { return gen_.next(); }
  double uniform() noexcept { return gen_.uniform(); }  // [0, 1)
  double normal() noexcept;   // N(0, 1), Box-Muller
  double gamma(double shape) noexcept;  // Marsaglia-Tsang, shape > 0

 private:
  traces::Xoshiro256 gen_;
};

double betaLogPdf(double u, double alpha, double beta) noexcept;
LogProbParts logProb(const PolicyOutput& out, const Action& action) noexcept;
// Argmax policy; capacity = the mode of its Beta ((a-1)/(a+b-2), 0.5 when a=b=1).
Action deterministicAction(const PolicyOutput& out) noexcept;
Action sampleAction(const PolicyOutput& out, Rng& rng) noexcept;
// softmax(logits)
std::vector<double> policyProbabilities(const PolicyOutput& out);

}  // namespace edgecache::agent
