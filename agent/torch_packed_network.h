#pragma once
// TorchPackedNetwork: the actor's forward pass through LibTorch's prepacked
// linear operators, the two torch-side compression paths the profile
// measures against PlainNetwork:
//   kQnnpackInt8   int8 dynamic quantisation (quantized::linear_dynamic on
//                  the QNNPACK engine: weights int8 per tensor, activations
//                  quantised on the fly). Debian's LibTorch has no FBGEMM and
//                  oneDNN int8 is slow here, so the QNNPACK engine is
//                  selected process-wide when such a network is built.
//   kXnnpackFp32   fp32 linears prepacked for XNNPACK
//                  (prepacked::linear_clamp_run).
// The second (and last) LibTorch translation unit of agent/.
//
// Thread safety: immutable after construction; evaluate may run
// concurrently. Failure: construction returns an error (incompatible model,
// operator missing from this LibTorch build); evaluateInto returns false on
// a wrongly sized observation or a LibTorch exception (never throws).

#include <memory>
#include <string>

#include "agent/action_distribution.h"
#include "agent/features.h"
#include "agent/model_file.h"
#include "cachelib/status.h"

namespace edgecache::agent {

class TorchPackedNetwork {
 public:
  enum class Mode { kQnnpackInt8, kXnnpackFp32 };
  static cachelib::Result<std::unique_ptr<TorchPackedNetwork>> fromModelFile(const ModelFile& model,
                                                                             const std::string& source, Mode mode);
  ~TorchPackedNetwork();
  TorchPackedNetwork(const TorchPackedNetwork&) = delete;
  TorchPackedNetwork& operator=(const TorchPackedNetwork&) = delete;

  bool evaluateInto(const Observation& raw, PolicyOutput& out) const noexcept;

 private:
  struct Impl;
  explicit TorchPackedNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgecache::agent
