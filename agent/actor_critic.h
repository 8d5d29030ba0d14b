#pragma once
// The actor-critic network behind the DRL controller, behind a torch-free
// interface (the only LibTorch translation unit is actor_critic.cpp).
//
// Architecture (ModelArchitecture gives the sizes):
//   trunk:  h = tanh(W2 tanh(W1 [global, flatten(perPolicy)]))       [B, H]
//   fused action head, one shared layer per policy k:
//           z_k = tanh(Wz [h, embedding_k, perPolicy_k])              [B, K, Hz]
//           logit_k = wl . z_k                                        [B, K]
//           (alpha_k, beta_k) = 1 + softplus(Wc z_k)                  [B, K, 2]
//     so the capacity distribution Beta(alpha_k, beta_k) is conditioned on
//     the chosen policy through its embedding and its own what-if row;
//   value:  v = wv . h                                                [B]
// plus the running feature normaliser (RunningNorm), saved with the weights.
//
// Errors: LibTorch exceptions never leave this interface; they come back as
// cachelib::Status / Result with a one-line message.
// Thread safety: the const members (evaluate, normalise, forward) may run
// concurrently; observeForNorm/ppoUpdate need exclusive access.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "agent/action_distribution.h"
#include "agent/features.h"
#include "agent/model_file.h"
#include "cachelib/status.h"

namespace edgecache::agent {

struct PpoConfig {
  double learningRate = 3e-4;     // Adam
  double clip = 0.2;              // PPO ratio clip epsilon
  int epochs = 10;                // passes over each batch (stops early past targetKl)
  std::size_t minibatch = 64;     // samples per gradient step
  double valueCoef = 0.5;         // weight of the value loss
  double entropyPolicy = 0.01;    // entropy bonus on the categorical part
  double entropyCapacity = 0.002; // entropy bonus on the capacity part (E_k[H(Beta_k)])
  double maxGradNorm = 0.5;       // global gradient-norm clip
  double targetKl = 0.03;         // stop the epochs early past this approx. KL (0 = never)
};

// One training sample (observation already normalised when it was collected).
struct PpoSample {
  Observation obs;
  Action action;
  float oldLogProb = 0.0f;
  float advantage = 0.0f;
  float valueTarget = 0.0f;  // return (GAE advantage + old value)
};

struct PpoStats {
  double policyLoss = 0.0, valueLoss = 0.0;
  double entropyPolicy = 0.0, entropyCapacity = 0.0;
  double approxKl = 0.0, clipFraction = 0.0;
  int epochsRun = 0;
};

struct ImitationConfig {
  double learningRate = 1e-3;   // Adam (a separate optimiser from PPO's)
  int epochs = 30;              // passes over the demonstrations
  std::size_t minibatch = 64;
  double valueCoef = 0.5;       // the critic is fitted to the demonstrations' returns too
  double capacityMargin = 0.01; // capacity targets are clamped into [margin, 1 - margin]
};

// Knowledge distillation of a teacher's outputs into this (student) network.
struct DistillConfig {
  double learningRate = 2e-3;   // Adam
  int epochs = 150;             // passes over the observations
  std::size_t minibatch = 64;
  double capacityCoef = 1.0;    // squared log-alpha / log-beta differences, weighted by the teacher's p(k)
  double modeCoef = 50.0;       // squared Beta-mode difference (the deployed capacity), weighted by p(k)
  double valueCoef = 0.1;       // squared value difference
};

class ActorCritic {
 public:
  ~ActorCritic();
  ActorCritic(const ActorCritic&) = delete;
  ActorCritic& operator=(const ActorCritic&) = delete;

  // A fresh network with seeded initial weights (also pins LibTorch to one
  // intra-op thread, process-wide, the first time any network is built).
  static cachelib::Result<std::unique_ptr<ActorCritic>> create(const ModelArchitecture& architecture,
                                                                std::uint64_t seed);
  // Loads a model file (readModelFile + checkCompatible + weights).
  static cachelib::Result<std::unique_ptr<ActorCritic>> load(const std::string& path);
  static cachelib::Result<std::unique_ptr<ActorCritic>> fromModelFile(const ModelFile& model,
                                                                      const std::string& source);
  // The architecture this build uses for new models (schema dims + sizes).
  static ModelArchitecture defaultArchitecture();
  // Tensor names and shapes a model of `architecture` must carry.
  static std::map<std::string, std::vector<std::int64_t>> expectedTensors(const ModelArchitecture& architecture);

  const ModelArchitecture& architecture() const noexcept;
  ModelFile toModelFile(std::map<std::string, std::string> metadata) const;
  cachelib::Status save(const std::string& path, std::map<std::string, std::string> metadata) const;

  // Feature normalisation (the statistics travel with the model).
  void observeForNorm(const Observation& raw);
  void normalise(Observation& obs) const;
  // Network outputs for a normalised observation (InferenceMode, one thread).
  cachelib::Result<PolicyOutput> forward(const Observation& normalised) const;
  // normalise + forward.
  cachelib::Result<PolicyOutput> evaluate(const Observation& raw) const;
  // The same log-probability computed by the torch graph the loss uses
  // (tests compare it with logProb() in action_distribution.h).
  cachelib::Result<LogProbParts> torchLogProb(const Observation& normalised, const Action& action) const;
  // Shapes of the heads for a batch of `batch` observations: logits, capacity
  // parameters, value (tests).
  cachelib::Result<std::vector<std::vector<std::int64_t>>> headShapes(std::size_t batch) const;

  // One PPO update over `samples` (advantages are normalised here). Minibatch
  // order comes from `seed`. Adam state persists across calls.
  cachelib::Result<PpoStats> ppoUpdate(std::span<const PpoSample> samples, const PpoConfig& config,
                                       std::uint64_t seed);
  // Behaviour cloning: maximises the joint log-likelihood of the samples'
  // actions and regresses the value on valueTarget. Returns the mean negative
  // log-likelihood of the last epoch.
  cachelib::Result<double> imitationUpdate(std::span<const PpoSample> samples, const ImitationConfig& config,
                                           std::uint64_t seed);
  // Distillation: copies the teacher's feature normaliser, then fits this
  // network to the teacher's outputs on `rawObservations` with
  //   KL(teacher policy || student policy)
  //   + capacityCoef * sum_k p_t(k) [(log a_s - log a_t)^2 + (log b_s - log b_t)^2]
  //   + modeCoef * sum_k p_t(k) (mode_s - mode_t)^2 + valueCoef (v_s - v_t)^2.
  // Architectures may differ (that is the point). Returns the last epoch's
  // mean loss.
  cachelib::Result<double> distillFrom(const ActorCritic& teacher, std::span<const Observation> rawObservations,
                                       const DistillConfig& config, std::uint64_t seed);

 private:
  struct Impl;
  explicit ActorCritic(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgecache::agent
