// The second LibTorch translation unit: prepacked (QNNPACK int8 dynamic,
// XNNPACK fp32) linears for the profile's torch compression paths.
#include "agent/torch_packed_network.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <optional>

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/torch.h>

#include "agent/actor_critic.h"

namespace edgecache::agent {

using cachelib::Result;

namespace {

// One prepacked linear layer, run through the boxed dispatcher (the packed
// parameter classes have no public C++ headers in Debian's LibTorch).
struct PackedLinear {
  c10::IValue packed;
  std::optional<c10::OperatorHandle> run;
  bool dynamicInt8 = false;

  torch::Tensor operator()(const torch::Tensor& x) const {
    torch::jit::Stack stack;
    stack.emplace_back(x);
    stack.emplace_back(packed);
    if (dynamicInt8) stack.emplace_back(false);  // reduce_range
    run->callBoxed(&stack);
    return stack.back().toTensor();
  }
};

c10::OperatorHandle op(const char* name) {
  return c10::Dispatcher::singleton().findSchemaOrThrow(name, "");
}

PackedLinear pack(const NamedTensor& w, const NamedTensor& b, TorchPackedNetwork::Mode mode) {
  auto weight = torch::from_blob(const_cast<float*>(w.values.data()), w.shape, torch::kFloat32).clone();
  auto bias = torch::from_blob(const_cast<float*>(b.values.data()), b.shape, torch::kFloat32).clone();
  PackedLinear l;
  torch::jit::Stack stack;
  if (mode == TorchPackedNetwork::Mode::kQnnpackInt8) {
    const double maxAbs = std::max(1e-12, weight.abs().max().item<double>());
    stack.emplace_back(at::quantize_per_tensor(weight, maxAbs / 127.0, 0, torch::kQInt8));
    stack.emplace_back(c10::optional<at::Tensor>(bias));
    op("quantized::linear_prepack").callBoxed(&stack);
    l.run = op("quantized::linear_dynamic");
    l.dynamicInt8 = true;
  } else {
    stack.emplace_back(weight);
    stack.emplace_back(c10::optional<at::Tensor>(bias));
    stack.emplace_back(c10::IValue());  // output_min
    stack.emplace_back(c10::IValue());  // output_max
    op("prepacked::linear_clamp_prepack").callBoxed(&stack);
    l.run = op("prepacked::linear_clamp_run");
  }
  l.packed = stack.back();
  return l;
}

}  // namespace

struct TorchPackedNetwork::Impl {
  ModelArchitecture arch;
  std::vector<float> gMean, gScale, pMean, pScale;
  PackedLinear trunk1, trunk2, head, logit, capacity, value;
  torch::Tensor embedding;  // [K, E]
};

TorchPackedNetwork::TorchPackedNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TorchPackedNetwork::~TorchPackedNetwork() = default;

Result<std::unique_ptr<TorchPackedNetwork>> TorchPackedNetwork::fromModelFile(const ModelFile& m,
                                                                              const std::string& source, Mode mode) {
  using R = Result<std::unique_ptr<TorchPackedNetwork>>;
  // ActorCritic's checks (and its one-thread torch setup).
  if (auto ac = ActorCritic::fromModelFile(m, source); !ac) return ac.status();
  try {
    if (mode == Mode::kQnnpackInt8) {
      static std::once_flag once;
      std::call_once(once, [] { at::globalContext().setQEngine(at::QEngine::QNNPACK); });
    }
    auto impl = std::make_unique<Impl>();
    impl->arch = m.architecture;
    auto norm = [](const NamedTensor& mean, const NamedTensor& var, std::vector<float>& om, std::vector<float>& os) {
      om = mean.values;
      os.resize(var.values.size());
      for (std::size_t i = 0; i < os.size(); ++i) {
        const double sd = std::sqrt(std::max(double(var.values[i]), 1e-8));
        os[i] = sd < 1e-4 ? 1.0f : float(1.0 / sd);
      }
    };
    norm(*m.find("norm.global.mean"), *m.find("norm.global.var"), impl->gMean, impl->gScale);
    norm(*m.find("norm.per_policy.mean"), *m.find("norm.per_policy.var"), impl->pMean, impl->pScale);
    auto t = [&](const char* n) -> const NamedTensor& { return *m.find(n); };
    impl->trunk1 = pack(t("trunk1.weight"), t("trunk1.bias"), mode);
    impl->trunk2 = pack(t("trunk2.weight"), t("trunk2.bias"), mode);
    impl->head = pack(t("head.weight"), t("head.bias"), mode);
    impl->logit = pack(t("logit.weight"), t("logit.bias"), mode);
    impl->capacity = pack(t("capacity.weight"), t("capacity.bias"), mode);
    impl->value = pack(t("value.weight"), t("value.bias"), mode);
    const auto& e = t("policy_embedding");
    impl->embedding = torch::from_blob(const_cast<float*>(e.values.data()), e.shape, torch::kFloat32).clone();
    auto net = std::unique_ptr<TorchPackedNetwork>(new TorchPackedNetwork(std::move(impl)));
    // One trial run: an operator this build lacks fails here, not per decision.
    Observation probe;
    probe.global.assign(m.architecture.globalDims, 0.0f);
    probe.perPolicy.assign(std::size_t(m.architecture.policies) * m.architecture.perPolicyDims, 0.0f);
    PolicyOutput out;
    {
      c10::InferenceMode guard;
      auto x = torch::zeros({1, std::int64_t(probe.global.size() + probe.perPolicy.size())});
      (void)net->impl_->trunk1(x);
    }
    if (!net->evaluateInto(probe, out)) return R::error(source + ": prepacked torch forward failed");
    return net;
  } catch (const std::exception& e) {
    return R::error(source + ": cannot build the prepacked torch network: " + std::string(e.what()).substr(0, 200));
  }
}

bool TorchPackedNetwork::evaluateInto(const Observation& raw, PolicyOutput& out) const noexcept {
  const Impl& n = *impl_;
  const std::int64_t g = n.arch.globalDims, p = n.arch.perPolicyDims, k = n.arch.policies, h = n.arch.trunkHidden;
  if (raw.global.size() != std::size_t(g) || raw.perPolicy.size() != std::size_t(k * p)) return false;
  try {
    c10::InferenceMode guard;
    auto x = torch::empty({1, g + k * p});
    float* xd = x.data_ptr<float>();
    for (std::int64_t i = 0; i < g; ++i)
      xd[i] = std::clamp((raw.global[i] - n.gMean[i]) * n.gScale[i], -float(RunningNorm::kClip), float(RunningNorm::kClip));
    for (std::int64_t i = 0; i < k * p; ++i)
      xd[g + i] = std::clamp((raw.perPolicy[i] - n.pMean[i % p]) * n.pScale[i % p], -float(RunningNorm::kClip),
                             float(RunningNorm::kClip));
    auto hidden = torch::tanh(n.trunk2(torch::tanh(n.trunk1(x))));  // [1, H]
    auto zin = torch::cat({hidden.expand({k, h}), n.embedding, x.narrow(1, g, k * p).view({k, p})}, 1);
    auto z = torch::tanh(n.head(zin));                                             // [K, Hz]
    auto logits = n.logit(z).contiguous();                                        // [K, 1]
    auto ab = (torch::nn::functional::softplus(n.capacity(z)) + 1.0).contiguous();  // [K, 2]
    auto v = n.value(hidden).contiguous();
    out.logits.resize(std::size_t(k));
    out.alpha.resize(std::size_t(k));
    out.beta.resize(std::size_t(k));
    const float* ld = logits.data_ptr<float>();
    const float* abd = ab.data_ptr<float>();
    for (std::int64_t i = 0; i < k; ++i) {
      out.logits[std::size_t(i)] = ld[i];
      out.alpha[std::size_t(i)] = abd[2 * i];
      out.beta[std::size_t(i)] = abd[2 * i + 1];
    }
    out.value = v.data_ptr<float>()[0];
    return true;
  } catch (...) {
    return false;
  }
}

}  // namespace edgecache::agent
