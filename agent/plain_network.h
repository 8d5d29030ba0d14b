#pragma once
// PlainNetwork: the actor's forward pass in plain C++ over a model file's
// weights — the edge inference path. No LibTorch: at this size (~18k weights,
// one observation per decision) torch's per-operator dispatch costs more than
// the arithmetic, so a hand-written pass is several times faster (see
// agent/README.md, "Compression for the edge").
//
// It computes what ActorCritic::evaluate computes (normaliser, trunk, fused
// per-policy head, value), within float rounding (tests pin the tolerance),
// with one of two kernels:
//   kFloat32  fp32 weights, fp32 arithmetic;
//   kInt8     int8 weights with one fp32 scale per output row (symmetric,
//             weight-only quantisation; activations stay fp32). For a model
//             whose file stores int8 (Precision::kInt8) these are exactly the
//             stored weights; otherwise they are quantised on load.
// The head layer's policy-embedding columns are folded into a per-policy bias
// at load time (the embedding is constant at inference).
//
// Thread safety: immutable after construction; evaluate() may run
// concurrently. Failure: construction refuses incompatible models (same
// checks as ActorCritic::fromModelFile); evaluate() fails only on an
// observation of the wrong size. Cost: O(weights) multiply-adds per call,
// no allocation beyond the output vectors.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/action_distribution.h"
#include "agent/features.h"
#include "agent/model_file.h"
#include "cachelib/status.h"

namespace edgecache::agent {

class PlainNetwork {
 public:
  enum class Kernels { kFloat32, kInt8 };

  // Checks compatibility (schema, registry ids, tensor names and shapes,
  // finite values) and prepares the weights.
  static cachelib::Result<std::unique_ptr<PlainNetwork>> fromModelFile(const ModelFile& model,
                                                                       const std::string& source, Kernels kernels);
  // Kernels a file asks for: kInt8 for engine plain-int8, kFloat32 otherwise.
  static Kernels kernelsFor(const ModelFile& model) noexcept;

  ~PlainNetwork();
  PlainNetwork(const PlainNetwork&) = delete;
  PlainNetwork& operator=(const PlainNetwork&) = delete;

  // Normalises `raw` with the model's statistics and runs the network.
  cachelib::Result<PolicyOutput> evaluate(const Observation& raw) const;
  // The same without the Result wrapper; false on a wrongly sized observation.
  bool evaluateInto(const Observation& raw, PolicyOutput& out) const noexcept;

  const ModelArchitecture& architecture() const noexcept;
  Kernels kernels() const noexcept;

 private:
  struct Impl;
  explicit PlainNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgecache::agent
