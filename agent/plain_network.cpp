#include "agent/plain_network.h"

#include <algorithm>
#include <cmath>

#include "agent/actor_critic.h"

namespace edgecache::agent {

using cachelib::Result;

namespace {

// y = W x + b for one row, over a column range, in fp32 or int8 weights.
// Eight independent accumulators: without -ffast-math the compiler may not
// reorder a single float sum, and this keeps the FP pipelines busy.
struct Matrix {
  std::size_t rows = 0, cols = 0;
  std::vector<float> w;           // fp32 kernels
  std::vector<std::int8_t> q;     // int8 kernels
  std::vector<float> scale;       // per row (int8)
  bool int8 = false;

  void load(const NamedTensor& t, bool quantised) {
    rows = std::size_t(t.shape.at(0));
    cols = rows ? t.values.size() / rows : 0;
    int8 = quantised;
    if (!int8) {
      w = t.values;
      return;
    }
    q.assign(t.values.size(), 0);
    scale.assign(rows, 0.0f);
    for (std::size_t r = 0; r < rows; ++r) {
      float maxAbs = 0.0f;
      for (std::size_t c = 0; c < cols; ++c) maxAbs = std::max(maxAbs, std::fabs(t.values[r * cols + c]));
      scale[r] = maxAbs / 127.0f;
      if (!(scale[r] > 0.0f)) continue;
      for (std::size_t c = 0; c < cols; ++c)
        q[r * cols + c] = std::int8_t(std::clamp(std::lround(t.values[r * cols + c] / scale[r]), -127L, 127L));
    }
  }

  // sum_j W[r][offset + j] * x[j], j < n
  float dot(std::size_t r, std::size_t offset, const float* x, std::size_t n) const noexcept {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::size_t j = 0;
    if (!int8) {
      const float* row = w.data() + r * cols + offset;
      for (; j + 8 <= n; j += 8)
        for (std::size_t u = 0; u < 8; ++u) acc[u] += row[j + u] * x[j + u];
      for (; j < n; ++j) acc[0] += row[j] * x[j];
    } else {
      const std::int8_t* row = q.data() + r * cols + offset;
      for (; j + 8 <= n; j += 8)
        for (std::size_t u = 0; u < 8; ++u) acc[u] += float(row[j + u]) * x[j + u];
      for (; j < n; ++j) acc[0] += float(row[j]) * x[j];
    }
    const float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    return int8 ? s * scale[r] : s;
  }
};

// tanh through expf: accurate to a few float ulps, several times cheaper
// than std::tanh in glibc.
inline float fastTanh(float x) noexcept {
  const float a = std::fabs(x);
  if (a > 15.0f) return std::copysign(1.0f, x);
  const float e = std::exp(2.0f * a);
  return std::copysign(1.0f - 2.0f / (e + 1.0f), x);
}

inline float softplus(float x) noexcept {
  // torch's softplus (beta 1, threshold 20).
  return x > 20.0f ? x : std::log1p(std::exp(x));
}

}  // namespace

struct PlainNetwork::Impl {
  ModelArchitecture arch;
  Kernels kernels = Kernels::kFloat32;
  std::vector<float> gMean, gScale, pMean, pScale;  // z = (x - mean) * scale, clipped
  Matrix trunk1, trunk2, head, logit, capacity, value;
  std::vector<float> b1, b2, bLogit, bCapacity, bValue;
  std::vector<float> headBias;  // [K][Hz]: head.bias + W_embed e_k

  void norm(const std::vector<float>& in, const std::vector<float>& mean, const std::vector<float>& scale,
            float* out) const noexcept {
    const std::size_t d = mean.size();
    for (std::size_t i = 0; i < in.size(); ++i) {
      const std::size_t j = i % d;
      const float z = (in[i] - mean[j]) * scale[j];
      out[i] = std::clamp(z, float(-RunningNorm::kClip), float(RunningNorm::kClip));
    }
  }
};

PlainNetwork::PlainNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PlainNetwork::~PlainNetwork() = default;

const ModelArchitecture& PlainNetwork::architecture() const noexcept { return impl_->arch; }
PlainNetwork::Kernels PlainNetwork::kernels() const noexcept { return impl_->kernels; }

PlainNetwork::Kernels PlainNetwork::kernelsFor(const ModelFile& model) noexcept {
  return model.engine == InferenceEngine::kPlainInt8 ? Kernels::kInt8 : Kernels::kFloat32;
}

Result<std::unique_ptr<PlainNetwork>> PlainNetwork::fromModelFile(const ModelFile& m, const std::string& source,
                                                                  Kernels kernels) {
  using R = Result<std::unique_ptr<PlainNetwork>>;
  if (auto st = checkCompatible(m, source, ActorCritic::expectedTensors(m.architecture)); !st) return st;
  for (const auto& t : m.tensors)
    for (float v : t.values)
      if (!std::isfinite(v)) return R::error(source + ": tensor '" + t.name + "' holds a non-finite value");
  auto impl = std::make_unique<Impl>();
  Impl& n = *impl;
  n.arch = m.architecture;
  n.kernels = kernels;
  const bool q = kernels == Kernels::kInt8;
  auto get = [&](const char* name) -> const NamedTensor& { return *m.find(name); };  // presence checked above
  // Same arithmetic as RunningNorm::apply: sd = sqrt(max(var, 1e-8)), no
  // division below sd 1e-4.
  auto normParams = [](const NamedTensor& mean, const NamedTensor& var, std::vector<float>& outMean,
                       std::vector<float>& outScale) {
    outMean = mean.values;
    outScale.resize(var.values.size());
    for (std::size_t i = 0; i < var.values.size(); ++i) {
      const double sd = std::sqrt(std::max(double(var.values[i]), 1e-8));
      outScale[i] = sd < 1e-4 ? 1.0f : float(1.0 / sd);
    }
  };
  normParams(get("norm.global.mean"), get("norm.global.var"), n.gMean, n.gScale);
  normParams(get("norm.per_policy.mean"), get("norm.per_policy.var"), n.pMean, n.pScale);
  n.trunk1.load(get("trunk1.weight"), q);
  n.trunk2.load(get("trunk2.weight"), q);
  n.head.load(get("head.weight"), q);
  n.logit.load(get("logit.weight"), q);
  n.capacity.load(get("capacity.weight"), q);
  n.value.load(get("value.weight"), q);
  n.b1 = get("trunk1.bias").values;
  n.b2 = get("trunk2.bias").values;
  n.bLogit = get("logit.bias").values;
  n.bCapacity = get("capacity.bias").values;
  n.bValue = get("value.bias").values;
  const std::size_t k = n.arch.policies, h = n.arch.trunkHidden, e = n.arch.embedDims, hz = n.arch.headHidden;
  // The embedding is constant at inference: fold W_embed e_k + bias into a
  // per-policy bias, with the same (possibly int8) head weights.
  const auto& emb = get("policy_embedding").values;
  const auto& hb = get("head.bias").values;
  n.headBias.assign(k * hz, 0.0f);
  for (std::size_t p = 0; p < k; ++p)
    for (std::size_t r = 0; r < hz; ++r) n.headBias[p * hz + r] = hb[r] + n.head.dot(r, h, emb.data() + p * e, e);
  return std::unique_ptr<PlainNetwork>(new PlainNetwork(std::move(impl)));
}

bool PlainNetwork::evaluateInto(const Observation& raw, PolicyOutput& out) const noexcept {
  const Impl& n = *impl_;
  const std::size_t g = n.arch.globalDims, p = n.arch.perPolicyDims, k = n.arch.policies, h = n.arch.trunkHidden,
                    e = n.arch.embedDims, hz = n.arch.headHidden;
  if (raw.global.size() != g || raw.perPolicy.size() != k * p) return false;
  // Stack buffers (a few KB): widths are bounded only by the model file
  // (<= 65536 per the parser), so anything wider goes to the heap.
  constexpr std::size_t kStack = 512;
  float xs[kStack], h1s[kStack], h2s[kStack], zs[kStack];
  std::vector<float> xh, h1h, h2h, zh;
  float* x = xs;
  float* h1 = h1s;
  float* h2 = h2s;
  float* z = zs;
  try {
    if (g + k * p > kStack) x = (xh.resize(g + k * p), xh.data());
    if (h > kStack) h1 = (h1h.resize(h), h1h.data()), h2 = (h2h.resize(h), h2h.data());
    if (hz > kStack) z = (zh.resize(hz), zh.data());
    out.logits.resize(k);
    out.alpha.resize(k);
    out.beta.resize(k);
  } catch (...) {
    return false;
  }
  n.norm(raw.global, n.gMean, n.gScale, x);
  n.norm(raw.perPolicy, n.pMean, n.pScale, x + g);
  for (std::size_t r = 0; r < h; ++r) h1[r] = fastTanh(n.trunk1.dot(r, 0, x, g + k * p) + n.b1[r]);
  for (std::size_t r = 0; r < h; ++r) h2[r] = fastTanh(n.trunk2.dot(r, 0, h1, h) + n.b2[r]);
  // The trunk part of the head is shared by every policy: compute it once.
  float trunkPart[kStack];
  std::vector<float> trunkHeap;
  float* tp = trunkPart;
  if (hz > kStack) {
    try {
      trunkHeap.resize(hz);
    } catch (...) {
      return false;
    }
    tp = trunkHeap.data();
  }
  for (std::size_t r = 0; r < hz; ++r) tp[r] = n.head.dot(r, 0, h2, h);
  for (std::size_t pol = 0; pol < k; ++pol) {
    const float* row = x + g + pol * p;
    for (std::size_t r = 0; r < hz; ++r)
      z[r] = fastTanh(tp[r] + n.head.dot(r, h + e, row, p) + n.headBias[pol * hz + r]);
    out.logits[pol] = n.logit.dot(0, 0, z, hz) + n.bLogit[0];
    out.alpha[pol] = softplus(n.capacity.dot(0, 0, z, hz) + n.bCapacity[0]) + 1.0f;
    out.beta[pol] = softplus(n.capacity.dot(1, 0, z, hz) + n.bCapacity[1]) + 1.0f;
  }
  out.value = n.value.dot(0, 0, h2, h) + n.bValue[0];
  return true;
}

Result<PolicyOutput> PlainNetwork::evaluate(const Observation& raw) const {
  PolicyOutput out;
  if (!evaluateInto(raw, out))
    return Result<PolicyOutput>::error("observation has " + std::to_string(raw.global.size()) + "+" +
                                       std::to_string(raw.perPolicy.size()) + " features, model expects " +
                                       std::to_string(impl_->arch.globalDims) + "+" +
                                       std::to_string(impl_->arch.policies * impl_->arch.perPolicyDims));
  return out;
}

}  // namespace edgecache::agent
