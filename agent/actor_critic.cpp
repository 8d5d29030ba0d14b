// The only LibTorch translation unit of edgecache: the network, its
// (de)serialisation into ModelFile tensors, inference and the PPO update.
#include "agent/actor_critic.h"

#include <algorithm>
#include <cmath>
#include <mutex>
#include <numeric>

#include <torch/torch.h>

namespace edgecache::agent {

using cachelib::Result;
using cachelib::Status;

namespace {

void pinTorchThreads() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Measured: one intra-op thread is fastest for these tiny matrices and
    // keeps replay threads from fighting over cores.
    torch::set_num_threads(1);
    try {
      torch::set_num_interop_threads(1);
    } catch (const std::exception&) {
      // Already set by someone else (only allowed once per process): harmless.
    }
  });
}

std::vector<std::int64_t> shapeOf(const torch::Tensor& t) { return std::vector<std::int64_t>(t.sizes().begin(), t.sizes().end()); }

struct NetOut {
  torch::Tensor logits;  // [B, K]
  torch::Tensor alpha;   // [B, K]
  torch::Tensor beta;    // [B, K]
  torch::Tensor value;   // [B]
};

struct NetImpl : torch::nn::Module {
  explicit NetImpl(const ModelArchitecture& a) : arch(a) {
    const std::int64_t g = a.globalDims, p = a.perPolicyDims, k = a.policies, h = a.trunkHidden, e = a.embedDims,
                       hz = a.headHidden;
    trunk1 = register_module("trunk1", torch::nn::Linear(g + k * p, h));
    trunk2 = register_module("trunk2", torch::nn::Linear(h, h));
    embedding = register_parameter("policy_embedding", torch::randn({k, e}) * 0.1);
    head = register_module("head", torch::nn::Linear(h + e + p, hz));
    logit = register_module("logit", torch::nn::Linear(hz, 1));
    capacity = register_module("capacity", torch::nn::Linear(hz, 2));
    valueHead = register_module("value", torch::nn::Linear(h, 1));
    torch::NoGradGuard noGrad;
    // Near-uniform policy and a broad Beta(2, 2) capacity at the start:
    // small output weights, softplus^-1(1) = 0.5413 as the capacity bias.
    logit->weight.mul_(0.01);
    logit->bias.zero_();
    capacity->weight.mul_(0.01);
    capacity->bias.fill_(0.5413);
    valueHead->weight.mul_(0.1);
    valueHead->bias.zero_();
  }

  NetOut forward(const torch::Tensor& global, const torch::Tensor& perPolicy) {
    const std::int64_t b = global.size(0), k = arch.policies;
    auto h = torch::tanh(trunk2(torch::tanh(trunk1(torch::cat({global, perPolicy.flatten(1)}, 1)))));
    auto zin = torch::cat({h.unsqueeze(1).expand({b, k, h.size(1)}), embedding.unsqueeze(0).expand({b, k, embedding.size(1)}),
                           perPolicy},
                          2);
    auto z = torch::tanh(head(zin));
    NetOut out;
    out.logits = logit(z).squeeze(-1);
    auto ab = torch::nn::functional::softplus(capacity(z)) + 1.0;
    out.alpha = ab.select(2, 0);
    out.beta = ab.select(2, 1);
    out.value = valueHead(h).squeeze(-1);
    return out;
  }

  ModelArchitecture arch;
  torch::nn::Linear trunk1{nullptr}, trunk2{nullptr}, head{nullptr}, logit{nullptr}, capacity{nullptr},
      valueHead{nullptr};
  torch::Tensor embedding;
};
TORCH_MODULE(Net);

// Beta log-density and entropy in torch (same formulas as action_distribution.cpp).
torch::Tensor betaLogPdf(const torch::Tensor& u, const torch::Tensor& a, const torch::Tensor& b) {
  return (a - 1.0) * torch::log(u) + (b - 1.0) * torch::log1p(-u) -
         (torch::lgamma(a) + torch::lgamma(b) - torch::lgamma(a + b));
}
torch::Tensor betaEntropy(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::lgamma(a) + torch::lgamma(b) - torch::lgamma(a + b) - (a - 1.0) * torch::digamma(a) -
         (b - 1.0) * torch::digamma(b) + (a + b - 2.0) * torch::digamma(a + b);
}

const char* kNormNames[] = {"norm.global.mean", "norm.global.var", "norm.per_policy.mean", "norm.per_policy.var",
                            "norm.count"};

}  // namespace

struct ActorCritic::Impl {
  explicit Impl(const ModelArchitecture& a) : arch(a), net(a), globalNorm(a.globalDims), perPolicyNorm(a.perPolicyDims) {}
  ModelArchitecture arch;
  Net net;
  RunningNorm globalNorm, perPolicyNorm;
  std::unique_ptr<torch::optim::Adam> optimizer;
  double optimizerLr = -1.0;

  // Stacks observations into [B, G] and [B, K, P] tensors (copies).
  std::pair<torch::Tensor, torch::Tensor> stack(std::span<const Observation* const> obs) const {
    const std::int64_t b = std::int64_t(obs.size()), g = arch.globalDims, k = arch.policies, p = arch.perPolicyDims;
    auto global = torch::empty({b, g});
    auto per = torch::empty({b, k, p});
    float* gd = global.data_ptr<float>();
    float* pd = per.data_ptr<float>();
    for (std::int64_t i = 0; i < b; ++i) {
      const Observation& o = *obs[std::size_t(i)];
      if (o.global.size() != std::size_t(g) || o.perPolicy.size() != std::size_t(k * p))
        throw std::invalid_argument("observation has " + std::to_string(o.global.size()) + "+" +
                                    std::to_string(o.perPolicy.size()) + " features, model expects " +
                                    std::to_string(g) + "+" + std::to_string(k * p));
      std::copy(o.global.begin(), o.global.end(), gd + i * g);
      std::copy(o.perPolicy.begin(), o.perPolicy.end(), pd + i * k * p);
    }
    return {global, per};
  }
};

ActorCritic::ActorCritic(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ActorCritic::~ActorCritic() = default;

ModelArchitecture ActorCritic::defaultArchitecture() {
  ModelArchitecture a;
  a.globalDims = kGlobalDims;
  a.perPolicyDims = kPerPolicyDims;
  a.policies = static_cast<std::uint32_t>(actionPolicyIds().size());
  return a;
}

Result<std::unique_ptr<ActorCritic>> ActorCritic::create(const ModelArchitecture& architecture, std::uint64_t seed) {
  try {
    pinTorchThreads();
    torch::manual_seed(seed);
    return std::unique_ptr<ActorCritic>(new ActorCritic(std::make_unique<Impl>(architecture)));
  } catch (const std::exception& e) {
    return Result<std::unique_ptr<ActorCritic>>::error(std::string("cannot build the network: ") + e.what());
  }
}

std::map<std::string, std::vector<std::int64_t>> ActorCritic::expectedTensors(const ModelArchitecture& a) {
  const std::int64_t g = a.globalDims, p = a.perPolicyDims, k = a.policies, h = a.trunkHidden, e = a.embedDims,
                     hz = a.headHidden;
  return {
      {"trunk1.weight", {h, g + k * p}}, {"trunk1.bias", {h}},
      {"trunk2.weight", {h, h}},         {"trunk2.bias", {h}},
      {"policy_embedding", {k, e}},      {"head.weight", {hz, h + e + p}},
      {"head.bias", {hz}},               {"logit.weight", {1, hz}},
      {"logit.bias", {1}},               {"capacity.weight", {2, hz}},
      {"capacity.bias", {2}},            {"value.weight", {1, h}},
      {"value.bias", {1}},               {"norm.global.mean", {g}},
      {"norm.global.var", {g}},          {"norm.per_policy.mean", {p}},
      {"norm.per_policy.var", {p}},      {"norm.count", {1}},
  };
}

const ModelArchitecture& ActorCritic::architecture() const noexcept { return impl_->arch; }

ModelFile ActorCritic::toModelFile(std::map<std::string, std::string> metadata) const {
  ModelFile m;
  m.architecture = impl_->arch;
  m.featureSchema = kFeatureSchema;
  m.policyIds = actionPolicyIds();
  m.metadata = std::move(metadata);
  for (const auto& item : impl_->net->named_parameters()) {
    auto t = item.value().detach().contiguous();
    NamedTensor nt{item.key(), shapeOf(t), {}};
    nt.values.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
    m.tensors.push_back(std::move(nt));
  }
  auto toF = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  const auto& gn = impl_->globalNorm;
  const auto& pn = impl_->perPolicyNorm;
  m.tensors.push_back({kNormNames[0], {std::int64_t(gn.dims())}, toF(gn.mean())});
  m.tensors.push_back({kNormNames[1], {std::int64_t(gn.dims())}, toF(gn.variance())});
  m.tensors.push_back({kNormNames[2], {std::int64_t(pn.dims())}, toF(pn.mean())});
  m.tensors.push_back({kNormNames[3], {std::int64_t(pn.dims())}, toF(pn.variance())});
  m.tensors.push_back({kNormNames[4], {1}, {float(gn.count())}});
  return m;
}

Status ActorCritic::save(const std::string& path, std::map<std::string, std::string> metadata) const {
  return writeModelFile(path, toModelFile(std::move(metadata)));
}

Result<std::unique_ptr<ActorCritic>> ActorCritic::load(const std::string& path) {
  auto file = readModelFile(path);
  if (!file) return file.status();
  return fromModelFile(file.value(), path);
}

Result<std::unique_ptr<ActorCritic>> ActorCritic::fromModelFile(const ModelFile& m, const std::string& source) {
  using R = Result<std::unique_ptr<ActorCritic>>;
  // torch would happily copy into a differently shaped net through views or
  // broadcasting: check every name and shape against the architecture first.
  if (auto st = checkCompatible(m, source, expectedTensors(m.architecture)); !st) return st;
  try {
    pinTorchThreads();
    auto impl = std::make_unique<Impl>(m.architecture);
    torch::NoGradGuard noGrad;
    for (auto& item : impl->net->named_parameters()) {
      const NamedTensor* t = m.find(item.key());
      if (t == nullptr || shapeOf(item.value()) != t->shape)  // checked above; belt and braces
        return R::error(source + ": tensor '" + item.key() + "' missing or misshaped");
      for (float v : t->values)
        if (!std::isfinite(v)) return R::error(source + ": tensor '" + item.key() + "' holds a non-finite value");
      item.value().copy_(torch::from_blob(const_cast<float*>(t->values.data()), t->shape, torch::kFloat32));
    }
    auto toD = [](const NamedTensor* t) { return std::vector<double>(t->values.begin(), t->values.end()); };
    const double count = m.find(kNormNames[4])->values.at(0);
    impl->globalNorm.restore(count, toD(m.find(kNormNames[0])), toD(m.find(kNormNames[1])));
    impl->perPolicyNorm.restore(count, toD(m.find(kNormNames[2])), toD(m.find(kNormNames[3])));
    impl->net->eval();
    return std::unique_ptr<ActorCritic>(new ActorCritic(std::move(impl)));
  } catch (const std::exception& e) {
    return R::error(source + ": cannot load weights: " + std::string(e.what()).substr(0, 200));
  }
}

void ActorCritic::observeForNorm(const Observation& raw) {
  impl_->globalNorm.add(raw.global);
  const std::size_t p = impl_->arch.perPolicyDims;
  for (std::size_t i = 0; i + p <= raw.perPolicy.size(); i += p)
    impl_->perPolicyNorm.add(std::span<const float>(raw.perPolicy).subspan(i, p));
}

void ActorCritic::normalise(Observation& obs) const {
  impl_->globalNorm.apply(obs.global);
  impl_->perPolicyNorm.apply(obs.perPolicy);
}

Result<PolicyOutput> ActorCritic::forward(const Observation& obs) const {
  try {
    c10::InferenceMode guard;
    const Observation* one[] = {&obs};
    auto [g, p] = impl_->stack(one);
    NetOut o = impl_->net->forward(g, p);
    const std::size_t k = impl_->arch.policies;
    PolicyOutput out;
    auto copy = [k](const torch::Tensor& t, std::vector<float>& dst) {
      auto c = t.contiguous();
      const float* d = c.data_ptr<float>();  // not .item(): ~10 us each
      dst.assign(d, d + k);
    };
    copy(o.logits, out.logits);
    copy(o.alpha, out.alpha);
    copy(o.beta, out.beta);
    out.value = o.value.contiguous().data_ptr<float>()[0];
    return out;
  } catch (const std::exception& e) {
    return Result<PolicyOutput>::error(std::string("network forward failed: ") + std::string(e.what()).substr(0, 200));
  }
}

Result<PolicyOutput> ActorCritic::evaluate(const Observation& raw) const {
  Observation obs = raw;
  normalise(obs);
  return forward(obs);
}

Result<LogProbParts> ActorCritic::torchLogProb(const Observation& obs, const Action& action) const {
  try {
    torch::NoGradGuard noGrad;
    const Observation* one[] = {&obs};
    auto [g, p] = impl_->stack(one);
    NetOut o = impl_->net->forward(g, p);
    auto k = torch::tensor({std::int64_t(action.policyIndex)}, torch::kInt64);
    auto u = torch::tensor({float(std::clamp(action.capacityAction, kActionEpsilon, 1.0 - kActionEpsilon))});
    auto lp = torch::log_softmax(o.logits, 1).gather(1, k.unsqueeze(1)).squeeze(1);
    auto a = o.alpha.gather(1, k.unsqueeze(1)).squeeze(1), b = o.beta.gather(1, k.unsqueeze(1)).squeeze(1);
    auto lc = betaLogPdf(u, a, b);
    return LogProbParts{double(lp.data_ptr<float>()[0]), double(lc.data_ptr<float>()[0])};
  } catch (const std::exception& e) {
    return Result<LogProbParts>::error(std::string("log-prob failed: ") + std::string(e.what()).substr(0, 200));
  }
}

Result<std::vector<std::vector<std::int64_t>>> ActorCritic::headShapes(std::size_t batch) const {
  try {
    c10::InferenceMode guard;
    auto g = torch::zeros({std::int64_t(batch), std::int64_t(impl_->arch.globalDims)});
    auto p = torch::zeros({std::int64_t(batch), std::int64_t(impl_->arch.policies), std::int64_t(impl_->arch.perPolicyDims)});
    NetOut o = impl_->net->forward(g, p);
    return std::vector<std::vector<std::int64_t>>{shapeOf(o.logits), shapeOf(torch::stack({o.alpha, o.beta}, 2)),
                                                  shapeOf(o.value)};
  } catch (const std::exception& e) {
    return Result<std::vector<std::vector<std::int64_t>>>::error(std::string("forward failed: ") + e.what());
  }
}

Result<PpoStats> ActorCritic::ppoUpdate(std::span<const PpoSample> samples, const PpoConfig& c, std::uint64_t seed) {
  if (samples.empty()) return PpoStats{};
  try {
    auto& net = impl_->net;
    net->train();
    if (!impl_->optimizer || impl_->optimizerLr != c.learningRate) {
      impl_->optimizer = std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(c.learningRate));
      impl_->optimizerLr = c.learningRate;
    }
    // Advantage normalisation over the whole batch.
    double mean = 0.0, sq = 0.0;
    for (const auto& s : samples) mean += s.advantage;
    mean /= double(samples.size());
    for (const auto& s : samples) sq += (s.advantage - mean) * (s.advantage - mean);
    const double sd = std::sqrt(sq / double(samples.size())) + 1e-8;

    std::vector<std::size_t> order(samples.size());
    std::iota(order.begin(), order.end(), 0);
    Rng rng(seed);
    PpoStats stats;
    for (int epoch = 0; epoch < c.epochs; ++epoch) {
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
      double epochKl = 0.0;
      std::size_t batches = 0;
      stats = PpoStats{};
      for (std::size_t start = 0; start < order.size(); start += c.minibatch) {
        const std::size_t end = std::min(order.size(), start + c.minibatch);
        const std::int64_t n = std::int64_t(end - start);
        std::vector<const Observation*> obs;
        std::vector<std::int64_t> kIdx;
        std::vector<float> u, oldLp, adv, ret;
        for (std::size_t j = start; j < end; ++j) {
          const PpoSample& s = samples[order[j]];
          obs.push_back(&s.obs);
          kIdx.push_back(std::int64_t(s.action.policyIndex));
          u.push_back(float(std::clamp(s.action.capacityAction, kActionEpsilon, 1.0 - kActionEpsilon)));
          oldLp.push_back(s.oldLogProb);
          adv.push_back(float((s.advantage - mean) / sd));
          ret.push_back(s.valueTarget);
        }
        auto [g, p] = impl_->stack(obs);
        auto k = torch::from_blob(kIdx.data(), {n, 1}, torch::kInt64);
        auto ut = torch::from_blob(u.data(), {n});
        auto oldT = torch::from_blob(oldLp.data(), {n});
        auto advT = torch::from_blob(adv.data(), {n});
        auto retT = torch::from_blob(ret.data(), {n});

        NetOut o = net->forward(g, p);
        auto logp = torch::log_softmax(o.logits, 1);
        auto probs = logp.exp();
        auto lpPolicy = logp.gather(1, k).squeeze(1);
        auto a = o.alpha.gather(1, k).squeeze(1), b = o.beta.gather(1, k).squeeze(1);
        auto lpCapacity = betaLogPdf(ut, a, b);
        auto newLp = lpPolicy + lpCapacity;  // joint log-prob = sum of both parts
        auto ratio = torch::exp(newLp - oldT);
        auto surr = torch::min(ratio * advT, torch::clamp(ratio, 1.0 - c.clip, 1.0 + c.clip) * advT);
        auto policyLoss = -surr.mean();
        auto valueLoss = (o.value - retT).pow(2).mean();
        // Exact joint entropy: H(categorical) + sum_k p_k H(Beta_k).
        auto hPolicy = -(probs * logp).sum(1).mean();
        auto hCapacity = (probs * betaEntropy(o.alpha, o.beta)).sum(1).mean();
        auto loss = policyLoss + c.valueCoef * valueLoss - c.entropyPolicy * hPolicy - c.entropyCapacity * hCapacity;
        impl_->optimizer->zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(net->parameters(), c.maxGradNorm);
        impl_->optimizer->step();

        torch::NoGradGuard noGrad;
        const auto logRatio = (newLp - oldT).detach();
        epochKl += ((logRatio.exp() - 1.0) - logRatio).mean().item<double>();
        stats.clipFraction += ((ratio.detach() - 1.0).abs() > c.clip).to(torch::kFloat32).mean().item<double>();
        stats.policyLoss += policyLoss.item<double>();
        stats.valueLoss += valueLoss.item<double>();
        stats.entropyPolicy += hPolicy.item<double>();
        stats.entropyCapacity += hCapacity.item<double>();
        ++batches;
      }
      const double inv = 1.0 / double(std::max<std::size_t>(1, batches));
      stats.policyLoss *= inv, stats.valueLoss *= inv, stats.entropyPolicy *= inv, stats.entropyCapacity *= inv,
          stats.clipFraction *= inv;
      stats.approxKl = epochKl * inv;
      stats.epochsRun = epoch + 1;
      if (c.targetKl > 0 && stats.approxKl > c.targetKl) break;
    }
    net->eval();
    return stats;
  } catch (const std::exception& e) {
    impl_->net->eval();
    return Result<PpoStats>::error(std::string("PPO update failed: ") + std::string(e.what()).substr(0, 200));
  }
}

Result<double> ActorCritic::imitationUpdate(std::span<const PpoSample> samples, const ImitationConfig& c,
                                            std::uint64_t seed) {
  if (samples.empty()) return 0.0;
  try {
    auto& net = impl_->net;
    net->train();
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(c.learningRate));
    std::vector<std::size_t> order(samples.size());
    std::iota(order.begin(), order.end(), 0);
    Rng rng(seed);
    double lastNll = 0.0;
    for (int epoch = 0; epoch < c.epochs; ++epoch) {
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
      double nll = 0.0;
      std::size_t batches = 0;
      for (std::size_t start = 0; start < order.size(); start += c.minibatch) {
        const std::size_t end = std::min(order.size(), start + c.minibatch);
        const std::int64_t n = std::int64_t(end - start);
        std::vector<const Observation*> obs;
        std::vector<std::int64_t> kIdx;
        std::vector<float> u, ret;
        for (std::size_t j = start; j < end; ++j) {
          const PpoSample& s = samples[order[j]];
          obs.push_back(&s.obs);
          kIdx.push_back(std::int64_t(s.action.policyIndex));
          u.push_back(float(std::clamp(s.action.capacityAction, c.capacityMargin, 1.0 - c.capacityMargin)));
          ret.push_back(s.valueTarget);
        }
        auto [g, p] = impl_->stack(obs);
        auto k = torch::from_blob(kIdx.data(), {n, 1}, torch::kInt64);
        auto ut = torch::from_blob(u.data(), {n});
        auto retT = torch::from_blob(ret.data(), {n});
        NetOut o = net->forward(g, p);
        auto lp = torch::log_softmax(o.logits, 1).gather(1, k).squeeze(1) +
                  betaLogPdf(ut, o.alpha.gather(1, k).squeeze(1), o.beta.gather(1, k).squeeze(1));
        auto loss = -lp.mean() + c.valueCoef * (o.value - retT).pow(2).mean();
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
        optimizer.step();
        nll += -lp.mean().item<double>();
        ++batches;
      }
      lastNll = nll / double(std::max<std::size_t>(1, batches));
    }
    net->eval();
    return lastNll;
  } catch (const std::exception& e) {
    impl_->net->eval();
    return Result<double>::error(std::string("imitation update failed: ") + std::string(e.what()).substr(0, 200));
  }
}

Result<double> ActorCritic::distillFrom(const ActorCritic& teacher, std::span<const Observation> raw,
                                        const DistillConfig& c, std::uint64_t seed) {
  if (raw.empty()) return Result<double>::error("distillation: no observations");
  if (teacher.architecture().policies != impl_->arch.policies ||
      teacher.architecture().globalDims != impl_->arch.globalDims ||
      teacher.architecture().perPolicyDims != impl_->arch.perPolicyDims)
    return Result<double>::error("distillation: teacher " + teacher.architecture().describe() + " and student " +
                                 impl_->arch.describe() + " see different features");
  try {
    impl_->globalNorm = teacher.impl_->globalNorm;
    impl_->perPolicyNorm = teacher.impl_->perPolicyNorm;
    std::vector<Observation> obs(raw.begin(), raw.end());
    for (auto& o : obs) normalise(o);
    std::vector<const Observation*> all;
    for (const auto& o : obs) all.push_back(&o);
    // Teacher targets once, for every observation.
    torch::Tensor tLogp, tLogA, tLogB, tMode, tValue, allG, allP;
    {
      torch::NoGradGuard noGrad;
      auto [g, p] = impl_->stack(all);
      allG = g;
      allP = p;
      NetOut t = teacher.impl_->net->forward(g, p);
      tLogp = torch::log_softmax(t.logits, 1);
      tLogA = torch::log(t.alpha);
      tLogB = torch::log(t.beta);
      tMode = (t.alpha - 1.0) / (t.alpha + t.beta - 2.0);
      tValue = t.value;
    }
    auto& net = impl_->net;
    net->train();
    torch::optim::Adam optimizer(net->parameters(), torch::optim::AdamOptions(c.learningRate));
    std::vector<std::int64_t> order(obs.size());
    std::iota(order.begin(), order.end(), 0);
    Rng rng(seed);
    double last = 0.0;
    for (int epoch = 0; epoch < c.epochs; ++epoch) {
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.next() % i]);
      double sum = 0.0;
      std::size_t batches = 0;
      for (std::size_t start = 0; start < order.size(); start += c.minibatch) {
        const std::size_t end = std::min(order.size(), start + c.minibatch);
        auto idx = torch::from_blob(order.data() + start, {std::int64_t(end - start)}, torch::kInt64);
        auto g = allG.index_select(0, idx), p = allP.index_select(0, idx);
        NetOut s = net->forward(g, p);
        auto lpT = tLogp.index_select(0, idx);
        auto pT = lpT.exp();
        auto kl = (pT * (lpT - torch::log_softmax(s.logits, 1))).sum(1).mean();
        auto da = torch::log(s.alpha) - tLogA.index_select(0, idx);
        auto db = torch::log(s.beta) - tLogB.index_select(0, idx);
        auto capacity = (pT * (da.pow(2) + db.pow(2))).sum(1).mean();
        auto mode = (s.alpha - 1.0) / (s.alpha + s.beta - 2.0);
        auto modeLoss = (pT * (mode - tMode.index_select(0, idx)).pow(2)).sum(1).mean();
        auto valueLoss = (s.value - tValue.index_select(0, idx)).pow(2).mean();
        auto loss = kl + c.capacityCoef * capacity + c.modeCoef * modeLoss + c.valueCoef * valueLoss;
        optimizer.zero_grad();
        loss.backward();
        torch::nn::utils::clip_grad_norm_(net->parameters(), 1.0);
        optimizer.step();
        sum += loss.detach().data_ptr<float>()[0];
        ++batches;
      }
      last = sum / double(std::max<std::size_t>(1, batches));
    }
    net->eval();
    return last;
  } catch (const std::exception& e) {
    impl_->net->eval();
    return Result<double>::error(std::string("distillation failed: ") + std::string(e.what()).substr(0, 200));
  }
}

}  // namespace edgecache::agent
