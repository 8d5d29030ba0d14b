#include "agent/compression.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <unistd.h>

#include <fmt/core.h>

#include "agent/actor_critic.h"
#include "agent/plain_network.h"
#include "agent/ppo_trainer.h"
#include "agent/torch_packed_network.h"
#include "cachelib/controllers/static_controller.h"
#include "cachelib/windowed_replay.h"
#include "traces/synthetic.h"

namespace edgecache::agent {

using cachelib::Result;
using cachelib::Status;

namespace {

void say(const std::function<void(const std::string&)>& log, const std::string& line) {
  if (log) log(line);
  else std::fprintf(stderr, "%s\n", line.c_str());
}

double l2(const float* v, std::size_t n, std::size_t stride = 1) {
  double s = 0.0;
  for (std::size_t i = 0; i < n; ++i) s += double(v[i * stride]) * double(v[i * stride]);
  return std::sqrt(s);
}

// The `keep` indices with the largest scores, in ascending index order.
std::vector<std::size_t> topUnits(const std::vector<double>& score, std::size_t keep) {
  std::vector<std::size_t> idx(score.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) { return score[a] > score[b]; });
  idx.resize(keep);
  std::sort(idx.begin(), idx.end());
  return idx;
}

NamedTensor sliceMatrix(const NamedTensor& t, const std::vector<std::size_t>& rows, const std::vector<std::size_t>& cols) {
  const std::size_t width = std::size_t(t.shape[1]);
  NamedTensor out{t.name, {std::int64_t(rows.size()), std::int64_t(cols.size())}, {}, TensorStorage::kFloat32};
  for (auto r : rows)
    for (auto c : cols) out.values.push_back(t.values[r * width + c]);
  return out;
}

NamedTensor sliceVector(const NamedTensor& t, const std::vector<std::size_t>& keep) {
  NamedTensor out{t.name, {std::int64_t(keep.size())}, {}, TensorStorage::kFloat32};
  for (auto i : keep) out.values.push_back(t.values[i]);
  return out;
}

std::vector<std::size_t> range(std::size_t n, std::size_t from = 0) {
  std::vector<std::size_t> v(n);
  std::iota(v.begin(), v.end(), from);
  return v;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0.0;
  const std::size_t i = std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(i), v.end());
  return v[i];
}

// Drives a replay with one version's evaluator; records what it saw.
class VersionController final : public cachelib::Controller {
 public:
  VersionController(Evaluator eval, std::string name, bool record)
      : eval_(std::move(eval)), name_(std::move(name)), record_(record) {}
  std::string name() const override { return name_; }
  cachelib::Decision start(const cachelib::ControlContext& context) override {
    context_ = context;
    encoder_ = std::make_unique<FeatureEncoder>(context, actionPolicyIds());
    current_ = initialDecision(context);
    return current_;
  }
  cachelib::Decision decide(const cachelib::WindowFeatures& f) override {
    Observation obs;
    encoder_->encode(f, obs);
    if (eval_(obs, out_)) {
      const Action a = deterministicAction(out_);
      current_ = cachelib::Decision{capacityFromAction(context_, a.capacityAction), actionPolicyIds().at(a.policyIndex)};
      if (record_) actions.push_back(a);
    } else {
      failures++;
      if (record_) actions.push_back(Action{});
    }
    if (record_) {
      observations.push_back(std::move(obs));
      features.push_back(f);
    }
    return current_;
  }
  std::vector<Observation> observations;
  std::vector<Action> actions;
  std::vector<cachelib::WindowFeatures> features;  // the windows seen, for latency runs
  std::size_t failures = 0;

 private:
  Evaluator eval_;
  std::string name_;
  bool record_;
  cachelib::ControlContext context_;
  std::unique_ptr<FeatureEncoder> encoder_;
  cachelib::Decision current_;
  PolicyOutput out_;
};

double seconds(std::chrono::steady_clock::time_point a, std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

}  // namespace

Result<ModelFile> pruneHiddenUnits(const ModelFile& m, std::uint32_t trunkKeep, std::uint32_t headKeep) {
  using R = Result<ModelFile>;
  const auto& a = m.architecture;
  if (auto st = checkCompatible(m, "pruning input", ActorCritic::expectedTensors(a)); !st) return st;
  if (trunkKeep == 0 || headKeep == 0 || trunkKeep > a.trunkHidden || headKeep > a.headHidden)
    return R::error(fmt::format("pruning: cannot keep {} trunk / {} head units of {}", trunkKeep, headKeep, a.describe()));
  const std::size_t h = a.trunkHidden, hz = a.headHidden, e = a.embedDims, p = a.perPolicyDims;
  const std::size_t in1 = a.globalDims + std::size_t(a.policies) * p;
  const NamedTensor& w1 = *m.find("trunk1.weight");
  const NamedTensor& w2 = *m.find("trunk2.weight");
  const NamedTensor& wz = *m.find("head.weight");
  const NamedTensor& wl = *m.find("logit.weight");
  const NamedTensor& wc = *m.find("capacity.weight");
  const NamedTensor& wv = *m.find("value.weight");
  // Score = incoming weight norm x outgoing weight norm: a unit whose inputs
  // or outputs are near zero contributes little whatever its activation.
  std::vector<double> s1(h), s2(h), s3(hz);
  for (std::size_t i = 0; i < h; ++i) s1[i] = l2(&w1.values[i * in1], in1) * l2(&w2.values[i], h, h);
  const auto keep1 = topUnits(s1, trunkKeep);
  for (std::size_t j = 0; j < h; ++j) {
    double in = 0.0;
    for (auto i : keep1) in += double(w2.values[j * h + i]) * double(w2.values[j * h + i]);
    const double out = std::hypot(l2(&wz.values[j], hz, h + e + p), double(wv.values[j]));
    s2[j] = std::sqrt(in) * out;
  }
  const auto keep2 = topUnits(s2, trunkKeep);
  for (std::size_t r = 0; r < hz; ++r) {
    double in = 0.0;
    for (auto j : keep2) in += double(wz.values[r * (h + e + p) + j]) * double(wz.values[r * (h + e + p) + j]);
    in += std::pow(l2(&wz.values[r * (h + e + p) + h], e + p), 2);
    s3[r] = std::sqrt(in) * std::hypot(double(wl.values[r]), std::hypot(double(wc.values[r]), double(wc.values[hz + r])));
  }
  const auto keep3 = topUnits(s3, headKeep);
  auto headCols = keep2;
  for (std::size_t c = h; c < h + e + p; ++c) headCols.push_back(c);

  ModelFile out = m;
  out.formatVersion = kModelFormatVersion;
  out.architecture.trunkHidden = trunkKeep;
  out.architecture.headHidden = headKeep;
  for (auto& t : out.tensors) {
    t.storage = TensorStorage::kFloat32;
    if (t.name == "trunk1.weight") t = sliceMatrix(t, keep1, range(in1));
    else if (t.name == "trunk1.bias") t = sliceVector(t, keep1);
    else if (t.name == "trunk2.weight") t = sliceMatrix(t, keep2, keep1);
    else if (t.name == "trunk2.bias") t = sliceVector(t, keep2);
    else if (t.name == "head.weight") t = sliceMatrix(t, keep3, headCols);
    else if (t.name == "head.bias") t = sliceVector(t, keep3);
    else if (t.name == "logit.weight") t = sliceMatrix(t, {0}, keep3);
    else if (t.name == "capacity.weight") t = sliceMatrix(t, {0, 1}, keep3);
    else if (t.name == "value.weight") t = sliceMatrix(t, {0}, keep2);
  }
  if (auto st = checkCompatible(out, "pruned model", ActorCritic::expectedTensors(out.architecture)); !st) return st;
  return out;
}

Result<Evaluator> makeEvaluator(const ModelFile& model, const std::string& source) {
  if (model.engine == InferenceEngine::kTorchQnnpack || model.engine == InferenceEngine::kTorchXnnpack) {
    auto net = TorchPackedNetwork::fromModelFile(model, source,
                                                 model.engine == InferenceEngine::kTorchQnnpack
                                                     ? TorchPackedNetwork::Mode::kQnnpackInt8
                                                     : TorchPackedNetwork::Mode::kXnnpackFp32);
    if (!net) return net.status();
    std::shared_ptr<const TorchPackedNetwork> shared(std::move(net.value()));
    return Evaluator([shared](const Observation& raw, PolicyOutput& out) { return shared->evaluateInto(raw, out); });
  }
  if (model.engine != InferenceEngine::kTorch) {
    auto net = PlainNetwork::fromModelFile(model, source, PlainNetwork::kernelsFor(model));
    if (!net) return net.status();
    std::shared_ptr<const PlainNetwork> shared(std::move(net.value()));
    return Evaluator([shared](const Observation& raw, PolicyOutput& out) { return shared->evaluateInto(raw, out); });
  }
  auto ac = ActorCritic::fromModelFile(model, source);
  if (!ac) return ac.status();
  std::shared_ptr<const ActorCritic> shared(std::move(ac.value()));
  return Evaluator([shared](const Observation& raw, PolicyOutput& out) {
    auto r = shared->evaluate(raw);
    if (!r) return false;
    out = std::move(r.value());
    return true;
  });
}

Result<std::vector<Observation>> collectDistillationObservations(const ModelFile& teacherFile,
                                                                 const CompressionConfig& c) {
  using R = Result<std::vector<Observation>>;
  auto teacher = ActorCritic::fromModelFile(teacherFile, "teacher");
  if (!teacher) return teacher.status();
  std::vector<Observation> all;
  // Deterministic states (what the deployed policy visits) and sampled ones
  // (a wider neighbourhood, so the student also learns the slopes).
  auto record = [&](std::shared_ptr<const std::vector<cachelib::Request>> requests, const EnvSettings& env,
                    const std::string& label, std::uint64_t seed) -> cachelib::Status {
    for (RolloutMode mode : {RolloutMode::kDeterministic, RolloutMode::kSample}) {
      ReplayEpisode ep(requests, env, 0.0, label);
      Rng rng(seed);
      auto r = rollout(*teacher.value(), ep, rng, 0.9, 0.95, mode);
      if (!r) return r.status();
      for (auto& o : r->rawObservations) all.push_back(std::move(o));
    }
    say(c.log, fmt::format("distillation data: {} -> {} observations so far", label, all.size()));
    return cachelib::Status::ok();
  };
  if (c.distillRandomized > 0) {
    // The distribution the randomised teachers were trained on.
    for (std::size_t j = 0; j < c.distillRandomized; ++j)
      for (std::size_t p = 0; p < c.distillPresets.size(); ++p) {
        auto cfg = traces::syntheticPreset(c.distillPresets[p]);
        if (!cfg) return cfg.status();
        const std::uint64_t seed = c.distillSeed * 1000 + j * c.distillPresets.size() + p + 1;
        const auto w = sampleWorkload(cfg.value(), WorkloadRandomization{}, seed ^ 0xd157111ull);
        EnvSettings env;
        env.windowRequests = w.windowRequests;
        auto requests = std::make_shared<const std::vector<cachelib::Request>>(traces::generateSynthetic(w.config));
        if (auto st = record(requests, env, fmt::format("{}~(seed={})", c.distillPresets[p], w.config.seed),
                             c.seed * 7919 + seed);
            !st)
          return st;
      }
  }
  for (std::size_t t = 0; t < c.distillTraces.size(); ++t) {
    // Training-fold traces: the whole trace at the bench's window, and random
    // segments at random windows (the states a trace-trained teacher saw).
    const auto& trace = c.distillTraces[t];
    const auto& all_ = *trace.requests;
    EnvSettings env;
    env.requestRate = trace.requestRate;
    env.windowRequests = windowForTrace(all_.size(), env.windowRequests);
    if (auto st = record(trace.requests, env, trace.name, c.seed * 7919 + t); !st) return st;
    for (std::size_t g = 0; g < c.distillTraceSegments; ++g) {
      const std::uint64_t seed = c.distillSeed * 1000 + t * 97 + g;
      const auto seg = sampleTraceSegment(all_.size(), WorkloadRandomization{}, seed);
      env.windowRequests = seg.windowRequests;
      auto part = std::make_shared<const std::vector<cachelib::Request>>(all_.begin() + std::ptrdiff_t(seg.begin),
                                                                         all_.begin() + std::ptrdiff_t(seg.end));
      if (auto st = record(part, env, fmt::format("{}[{}..{}) window {}", trace.name, seg.begin, seg.end,
                                                  seg.windowRequests),
                           c.seed * 7919 + seed);
          !st)
        return st;
    }
  }
  for (std::size_t j = 1; j <= (c.distillRandomized > 0 ? 0 : std::max<std::size_t>(1, c.distillSeeds)); ++j)
    for (const auto& preset : c.distillPresets) {
      auto cfg = traces::syntheticPreset(preset);
      if (!cfg) return cfg.status();
      auto sc = cfg.value();
      sc.seed = c.distillSeed * 1000 + j;  // training seeds; 42 (evaluation) is never among them
      if (sc.seed == 42) return R::error("distillation seed 42 is the evaluation seed");
      if (c.distillRequests) sc.requests = c.distillRequests;
      auto requests = std::make_shared<const std::vector<cachelib::Request>>(traces::generateSynthetic(sc));
      if (auto st = record(requests, EnvSettings{}, fmt::format("{}(seed={})", preset, sc.seed), c.seed * 7919 + j);
          !st)
        return st;
    }
  return all;
}

Result<std::vector<ModelVersion>> buildVersions(const ModelFile& teacherIn, const std::string& teacherSource,
                                                const std::vector<Observation>& obs, const CompressionConfig& c) {
  using R = Result<std::vector<ModelVersion>>;
  ModelFile teacherFile = teacherIn;
  teacherFile.formatVersion = kModelFormatVersion;
  teacherFile.precision = Precision::kFloat32;
  teacherFile.engine = InferenceEngine::kTorch;
  auto teacher = ActorCritic::fromModelFile(teacherFile, teacherSource);
  if (!teacher) return teacher.status();
  std::vector<ModelVersion> versions;
  const std::string teacherName = std::filesystem::path(teacherSource).filename().string();
  auto add = [&](const std::string& base, ModelFile file, const std::string& recipe, bool torchToo) {
    file.formatVersion = kModelFormatVersion;
    // The teacher's training metadata (command, seed, episodes, eval ratio)
    // describes the teacher, not this file: keep it under teacher_*.
    std::map<std::string, std::string> meta;
    for (const auto& [k, v] : file.metadata) meta[k.rfind("teacher", 0) == 0 ? k : "teacher_" + k] = v;
    file.metadata = std::move(meta);
    file.metadata["teacher"] = teacherName;
    file.metadata["compression"] = recipe;
    if (torchToo) {
      ModelFile t = withPrecision(file, Precision::kFloat32);
      t.engine = InferenceEngine::kTorch;
      t.metadata["version"] = base + "-fp32-torch";
      versions.push_back({base + "-fp32-torch", t, recipe + "; fp32, LibTorch inference"});
      t.engine = InferenceEngine::kTorchXnnpack;
      t.metadata["version"] = base + "-fp32-xnnpack";
      versions.push_back({base + "-fp32-xnnpack", t, recipe + "; fp32, LibTorch XNNPACK-prepacked linears"});
      ModelFile q = withPrecision(file, Precision::kInt8);
      q.engine = InferenceEngine::kTorchQnnpack;
      q.metadata["version"] = base + "-int8-qnnpack";
      versions.push_back({base + "-int8-qnnpack", q, recipe + "; int8 dynamic quantisation, LibTorch QNNPACK"});
    }
    for (Precision p : {Precision::kFloat32, Precision::kFloat16, Precision::kInt8}) {
      ModelFile v = withPrecision(file, p);
      v.engine = InferenceEngine::kPlain;
      const std::string name = base + "-" + precisionName(p) + "-plain";
      v.metadata["version"] = name;
      versions.push_back({name, v, recipe + "; " + precisionName(p) + " storage, plain C++ inference (fp32 kernels)"});
      if (p == Precision::kInt8) {
        v.engine = InferenceEngine::kPlainInt8;
        v.metadata["version"] = name + "-int8";
        versions.push_back({name + "-int8", v, recipe + "; int8 storage, plain C++ int8-weight kernels"});
      }
    }
  };
  add("full", teacherFile, "the full model", true);
  std::uint64_t salt = 0;
  for (auto [trunk, head] : c.studentWidths) {
    ModelArchitecture arch = teacherFile.architecture;
    arch.trunkHidden = trunk;
    arch.headHidden = head;
    auto student = ActorCritic::create(arch, c.seed * 31 + (++salt));
    if (!student) return student.status();
    const auto t0 = std::chrono::steady_clock::now();
    DistillConfig dc;
    dc.epochs = c.studentEpochs;
    auto loss = student.value()->distillFrom(*teacher.value(), obs, dc, c.seed * 131 + salt);
    if (!loss) return loss.status();
    const std::string base = fmt::format("student-{}x{}", trunk, head);
    say(c.log, fmt::format("{}: distilled {} epochs on {} observations, final loss {:.4f} ({:.0f} s)", base, dc.epochs,
                           obs.size(), loss.value(), seconds(t0, std::chrono::steady_clock::now())));
    add(base, student.value()->toModelFile(teacherFile.metadata),
        fmt::format("student {} distilled from {} ({} epochs, {} observations)", arch.describe(), teacherName,
                    dc.epochs, obs.size()),
        salt == 1);
  }
  for (auto [trunk, head] : c.prunedWidths) {
    auto pruned = pruneHiddenUnits(teacherFile, trunk, head);
    if (!pruned) return pruned.status();
    auto net = ActorCritic::fromModelFile(pruned.value(), "pruned");
    if (!net) return net.status();
    DistillConfig dc;
    dc.epochs = c.pruneFineTuneEpochs;
    dc.learningRate = 1e-3;
    const auto t0 = std::chrono::steady_clock::now();
    auto loss = net.value()->distillFrom(*teacher.value(), obs, dc, c.seed * 137 + (++salt));
    if (!loss) return loss.status();
    const std::string base = fmt::format("pruned-{}x{}", trunk, head);
    say(c.log, fmt::format("{}: pruned by weight norm, fine-tuned {} epochs, final loss {:.4f} ({:.0f} s)", base,
                           dc.epochs, loss.value(), seconds(t0, std::chrono::steady_clock::now())));
    add(base, net.value()->toModelFile(teacherFile.metadata),
        fmt::format("{} pruned by weight norm to {}, distillation fine-tune {} epochs", teacherName,
                    pruned->architecture.describe(), dc.epochs),
        false);
  }
  if (versions.empty()) return R::error("no model versions");
  return versions;
}

Result<std::vector<ProfileRow>> profileVersions(const std::vector<ModelVersion>& versions,
                                                const std::vector<ProfileTrace>& traces, const ProfileConfig& c) {
  using R = Result<std::vector<ProfileRow>>;
  if (versions.empty() || traces.empty()) return R::error("profile: no versions or no traces");
  std::vector<Evaluator> evals;
  for (const auto& v : versions) {
    auto e = makeEvaluator(v.file, v.name);
    if (!e) return e.status();
    evals.push_back(std::move(e.value()));
  }
  const auto ids = actionPolicyIds();
  // Feature cost is measured with features off once per trace.
  std::vector<double> offSecondsPerRequest(traces.size(), 0.0);
  std::vector<ProfileRow> rows;
  for (double rate : c.samplingRates) {
    if (!(rate > 0.0 && rate <= 1.0)) return R::error(fmt::format("profile: sampling rate {} not in (0, 1]", rate));
    struct Acc {
      double cost = 0.0, fullCost = 0.0, worst = -1e300;
      std::uint64_t hits = 0, requests = 0, bytesHit = 0, bytes = 0, agree = 0, windows = 0, samePolicy = 0;
      double absDelta = 0.0;
      std::vector<double> decision, inference;
    };
    std::vector<Acc> acc(versions.size());
    std::vector<double> encodeTimes;
    double featureSeconds = 0.0;
    std::uint64_t featureRequests = 0;
    for (std::size_t ti = 0; ti < traces.size(); ++ti) {
      const auto& trace = traces[ti];
      EnvSettings settings;
      // The bench's rule: traces shorter than a window get a tenth of it.
      settings.windowRequests =
          trace.windowRequests > 0 ? trace.windowRequests : windowForTrace(trace.requests->size(), c.windowRequests);
      settings.requestRate = trace.requestRate;
      auto env = makeEnvConfig(*trace.requests, settings);
      env.context.window.samplingRate = rate;
      // Feature cost: static controller, features on vs off.
      {
        cachelib::StaticController fixed(initialDecision(env.context));
        auto on = cachelib::runControlled(*trace.requests, fixed, env);
        if (offSecondsPerRequest[ti] == 0.0) {
          auto offEnv = env;
          offEnv.features = false;
          auto off = cachelib::runControlled(*trace.requests, fixed, offEnv);
          offSecondsPerRequest[ti] = off.replaySeconds / double(std::max<std::size_t>(1, trace.requests->size()));
        }
        featureSeconds += on.replaySeconds - offSecondsPerRequest[ti] * double(trace.requests->size());
        featureRequests += trace.requests->size();
      }
      VersionController reference(evals[0], versions[0].name, true);
      const auto full = cachelib::runControlled(*trace.requests, reference, env);
      const double fullCost = full.cost.total();
      double traceWorst = 0.0;  // the largest regret on this trace, and whose
      std::size_t traceWorstVersion = 0;
      for (std::size_t v = 0; v < versions.size(); ++v) {
        Acc& a = acc[v];
        cachelib::ControlledResult result;
        if (v == 0) {
          result = full;
        } else {
          VersionController ctl(evals[v], versions[v].name, false);
          result = cachelib::runControlled(*trace.requests, ctl, env);
        }
        a.cost += result.cost.total();
        a.fullCost += fullCost;
        const double regret = (result.cost.total() - fullCost) / fullCost;
        a.worst = std::max(a.worst, regret);
        if (regret > traceWorst) traceWorst = regret, traceWorstVersion = v;
        a.hits += result.stats.hits;
        a.requests += result.stats.requests;
        a.bytesHit += result.stats.bytesHit;
        a.bytes += result.stats.bytesRequested;
        // Agreement on the reference's own observations.
        PolicyOutput out;
        for (std::size_t w = 0; w < reference.observations.size(); ++w) {
          ++a.windows;
          if (!evals[v](reference.observations[w], out)) continue;
          const Action act = deterministicAction(out), ref = reference.actions[w];
          if (act.policyIndex != ref.policyIndex) continue;
          ++a.samePolicy;
          const double d = std::fabs(act.capacityAction - ref.capacityAction);
          a.absDelta += d;
          if (d <= kAgreementTolerance) ++a.agree;
        }
        // Latency on the recorded window features: encode + inference + action.
        for (std::size_t rep = 0; rep < c.latencyRepetitions; ++rep) {
          FeatureEncoder encoder(env.context, ids);
          Observation o;
          for (const auto& f : reference.features) {
            const auto t0 = std::chrono::steady_clock::now();
            encoder.encode(f, o);
            const bool ok = evals[v](o, out);
            const Action act = deterministicAction(out);
            const cachelib::Decision d{capacityFromAction(env.context, act.capacityAction), ids[act.policyIndex]};
            const auto t1 = std::chrono::steady_clock::now();
            if (ok && d.capacityBytes > 0) a.decision.push_back(seconds(t0, t1) * 1e6);
          }
          for (const auto& raw : reference.observations) {
            const auto t0 = std::chrono::steady_clock::now();
            const bool ok = evals[v](raw, out);
            const auto t1 = std::chrono::steady_clock::now();
            if (ok) a.inference.push_back(seconds(t0, t1) * 1e6);
          }
        }
      }
      for (std::size_t rep = 0; rep < c.latencyRepetitions; ++rep) {
        FeatureEncoder encoder(env.context, ids);
        Observation o;
        for (const auto& f : reference.features) {
          const auto t0 = std::chrono::steady_clock::now();
          encoder.encode(f, o);
          encodeTimes.push_back(seconds(t0, std::chrono::steady_clock::now()) * 1e6);
        }
      }
      say(c.log, fmt::format("profile: sampling {} trace {} ({} windows): full model ${:.4f}, {} versions replayed; {}",
                             rate, trace.name, reference.observations.size(), fullCost, versions.size(),
                             traceWorst > 0.0 ? fmt::format("largest regret {:+.2f}% ({})", 100.0 * traceWorst,
                                                            versions[traceWorstVersion].name)
                                              : std::string("no version costs more than the full model")));
    }
    const double encodeP50 = percentile(encodeTimes, 0.5);
    for (std::size_t v = 0; v < versions.size(); ++v) {
      const Acc& a = acc[v];
      ProfileRow r;
      r.version = versions[v].name;
      r.precision = precisionName(versions[v].file.precision);
      r.engine = engineName(versions[v].file.engine);
      r.samplingRate = rate;
      r.windows = a.windows;
      r.agreement = a.windows ? double(a.agree) / double(a.windows) : 0.0;
      r.meanAbsCapacityDelta = a.samePolicy ? a.absDelta / double(a.samePolicy) : 0.0;
      r.costDollars = a.cost;
      r.costRegret = a.fullCost > 0 ? (a.cost - a.fullCost) / a.fullCost : 0.0;
      r.worstTraceRegret = a.worst;
      r.hitRatio = a.requests ? double(a.hits) / double(a.requests) : 0.0;
      r.byteHitRatio = a.bytes ? double(a.bytesHit) / double(a.bytes) : 0.0;
      r.decisionP50Us = percentile(a.decision, 0.5);
      r.decisionP99Us = percentile(a.decision, 0.99);
      r.inferenceP50Us = percentile(a.inference, 0.5);
      r.encodeP50Us = encodeP50;
      r.modelBytes = encodeModelFile(versions[v].file).size();
      r.featureNsPerRequest = featureRequests ? 1e9 * featureSeconds / double(featureRequests) : 0.0;
      rows.push_back(r);
      say(c.log, fmt::format("  {:<26} sampling {:<6} agree {:.3f} regret {:+.4f}% p50 {:.1f} us bytes {}", r.version,
                             rate, r.agreement, 100 * r.costRegret, r.decisionP50Us, r.modelBytes));
    }
  }
  return rows;
}

std::string profileCsv(const std::vector<ProfileRow>& rows) {
  std::string s =
      "version,precision,engine,sampling_rate,agreement,mean_abs_capacity_delta,total_cost_dollars,cost_regret,"
      "worst_trace_regret,hit_ratio,byte_hit_ratio,decision_p50_us,decision_p99_us,inference_p50_us,encode_p50_us,"
      "model_bytes,feature_ns_per_request,windows\n";
  for (const auto& r : rows)
    s += fmt::format("{},{},{},{},{:.4f},{:.4f},{:.6f},{:.6f},{:.6f},{:.5f},{:.5f},{:.2f},{:.2f},{:.2f},{:.2f},{},{:.1f},{}\n",
                     r.version, r.precision, r.engine, r.samplingRate, r.agreement, r.meanAbsCapacityDelta,
                     r.costDollars, r.costRegret, r.worstTraceRegret, r.hitRatio, r.byteHitRatio, r.decisionP50Us,
                     r.decisionP99Us, r.inferenceP50Us, r.encodeP50Us, r.modelBytes, r.featureNsPerRequest, r.windows);
  return s;
}

Result<std::vector<ProfileRow>> parseProfileCsv(const std::string& text, const std::string& source) {
  using R = Result<std::vector<ProfileRow>>;
  std::vector<ProfileRow> rows;
  std::size_t lineNo = 0, begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(begin, end - begin);
    begin = end + 1;
    if (++lineNo == 1) {
      if (line.rfind("version,precision,engine,sampling_rate", 0) != 0)
        return R::error(source + ":1: not an edgecache-agent profile CSV");
      continue;
    }
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::size_t a = 0;
    for (std::size_t b; (b = line.find(',', a)) != std::string::npos; a = b + 1) f.push_back(line.substr(a, b - a));
    f.push_back(line.substr(a));
    if (f.size() != 18) return R::error(fmt::format("{}:{}: {} fields, expected 18", source, lineNo, f.size()));
    try {
      ProfileRow r;
      r.version = f[0], r.precision = f[1], r.engine = f[2];
      r.samplingRate = std::stod(f[3]), r.agreement = std::stod(f[4]), r.meanAbsCapacityDelta = std::stod(f[5]);
      r.costDollars = std::stod(f[6]), r.costRegret = std::stod(f[7]), r.worstTraceRegret = std::stod(f[8]);
      r.hitRatio = std::stod(f[9]), r.byteHitRatio = std::stod(f[10]), r.decisionP50Us = std::stod(f[11]);
      r.decisionP99Us = std::stod(f[12]), r.inferenceP50Us = std::stod(f[13]), r.encodeP50Us = std::stod(f[14]);
      r.modelBytes = std::stoull(f[15]), r.featureNsPerRequest = std::stod(f[16]), r.windows = std::stoull(f[17]);
      rows.push_back(std::move(r));
    } catch (const std::exception&) {
      return R::error(fmt::format("{}:{}: a field is not a number", source, lineNo));
    }
  }
  return rows;
}

Status plotProfile(const std::string& pngPath, const std::vector<ProfileRow>& rows) {
  // Same approach as bench/plot.cpp (gnuplot-nox through a temporary script);
  // agent/ does not link bench/.
  if (rows.empty()) return Status::error("plot: no rows");
  const auto dir = std::filesystem::temp_directory_path() / ("edgecache-profile-plot-" + std::to_string(::getpid()));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::error("plot: cannot create " + dir.string());
  std::vector<double> rates;
  for (const auto& r : rows)
    if (std::find(rates.begin(), rates.end(), r.samplingRate) == rates.end()) rates.push_back(r.samplingRate);
  const auto data = dir / "data.txt", script = dir / "plot.gp";
  {
    // Data set i = rate i; columns: p50, worst regret %, regret %, agreement %, version.
    std::ofstream d(data);
    for (double rate : rates) {
      for (const auto& r : rows)
        if (r.samplingRate == rate)
          d << r.decisionP50Us << ' ' << 100.0 * r.worstTraceRegret << ' ' << 100.0 * r.costRegret << ' '
            << 100.0 * r.agreement << " \"" << r.version << " (" << (r.modelBytes + 512) / 1024 << " KiB)\"\n";
      d << "\n\n";
    }
  }
  const char* colors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};
  auto color = [&](std::size_t i) { return std::string(colors[i % 5]); };
  {
    std::ofstream g(script);
    g << "set terminal pngcairo size 1300,1500 noenhanced font 'sans,9'\nset output '" << pngPath << "'\n"
      << "set multiplot layout 3,1\n"
      << "set grid\nset logscale x\nset xrange [2:100]\nset key outside right\nset lmargin 12\nset rmargin 30\n"
      << "set xlabel 'decision latency p50 (us, one thread: feature encoding + inference)'\n"
      << "set title 'edgecache-agent profile (reference: the full model) - sampling " << rates[0]
      << ": worst-trace total-cost regret'\nset offsets 0, 0, graph 0.2, graph 0.05\n"
      << "set ylabel 'worst-trace cost regret (%)'\n"
      << "plot '" << data.string() << "' index 0 using 1:2 with points pt 7 ps 1.2 lc rgb '" << color(0)
      << "' title 'sampling " << rates[0] << "', '' index 0 using 1:2:5 with labels left rotate by 35 offset 0.6,0.3 "
      << "font 'sans,7' notitle\n"
      << "set offsets 0, 0, 0, 0\nset title 'total-cost regret vs the full model, every data version (shadow "
         "sampling rate)'\nset ylabel 'cost regret (%)'\nplot ";
    for (std::size_t i = 0; i < rates.size(); ++i)
      g << (i ? ", " : "") << "'" << data.string() << "' index " << i << " using 1:3 with points pt " << (5 + 2 * i)
        << " ps 1.2 lc rgb '" << color(i) << "' title 'sampling " << rates[i] << "'";
    g << "\nset title 'decision agreement with the full model (same policy, capacity within 5% of the log range)'\n"
      << "set ylabel 'agreement (%)'\nplot ";
    for (std::size_t i = 0; i < rates.size(); ++i)
      g << (i ? ", " : "") << "'" << data.string() << "' index " << i << " using 1:4 with points pt " << (5 + 2 * i)
        << " ps 1.2 lc rgb '" << color(i) << "' title 'sampling " << rates[i] << "'";
    g << "\nunset multiplot\n";
  }
  const std::string cmd = "gnuplot '" + script.string() + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return Status::error("plot: cannot run gnuplot (install gnuplot-nox)");
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p) != nullptr) output += buf;
  const int rc = ::pclose(p);
  std::filesystem::remove_all(dir, ec);
  if (rc != 0) return Status::error("plot: gnuplot failed: " + output.substr(0, output.find('\n')));
  return Status::ok();
}

Result<Selection> selectVersion(const std::vector<ProfileRow>& rows, double budgetUs, double maxRegret, double rate) {
  using R = Result<Selection>;
  std::vector<std::size_t> ok;
  std::string misses;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (rate >= 0 && std::fabs(r.samplingRate - rate) > 1e-12 * std::max(1.0, rate)) continue;
    const bool fast = r.decisionP50Us <= budgetUs, close = r.worstTraceRegret <= maxRegret;
    if (fast && close) ok.push_back(i);
    else
      misses += fmt::format("{}{} @ {}: p50 {:.1f} us{}, regret {:+.3f}%{}", misses.empty() ? "" : "; ", r.version,
                            r.samplingRate, r.decisionP50Us, fast ? "" : " (over budget)", 100 * r.worstTraceRegret,
                            close ? "" : " (over max regret)");
  }
  if (ok.empty())
    return R::error(fmt::format("no version meets p50 <= {} us and worst-trace cost regret <= {}%: {}", budgetUs,
                                100 * maxRegret, misses.empty() ? "no rows at that sampling rate" : misses));
  // Fewest bytes, but sizes within kSameSize of the smallest qualifying one
  // count as equal (a few bytes of metadata decide nothing on an edge box),
  // and among those the lowest worst-trace regret wins, then the lowest
  // p50. (A 32x16 student and the 32x16 pruned model differ by 3 bytes;
  // the first rule alone took the student at 60x the regret.)
  std::uint64_t smallest = UINT64_MAX;
  for (const std::size_t i : ok) smallest = std::min<std::uint64_t>(smallest, rows[i].modelBytes);
  const auto sameSize = [&](std::size_t i) { return double(rows[i].modelBytes) <= double(smallest) * (1.0 + kSameSize); };
  const auto best = *std::min_element(ok.begin(), ok.end(), [&](std::size_t a, std::size_t b) {
    if (sameSize(a) != sameSize(b)) return sameSize(a);
    if (!sameSize(a) && rows[a].modelBytes != rows[b].modelBytes) return rows[a].modelBytes < rows[b].modelBytes;
    if (rows[a].worstTraceRegret != rows[b].worstTraceRegret) return rows[a].worstTraceRegret < rows[b].worstTraceRegret;
    return rows[a].decisionP50Us < rows[b].decisionP50Us;
  });
  const auto& r = rows[best];
  Selection s;
  s.row = best;
  s.reason = fmt::format(
      "{} (sampling {}): {} bytes, decision p50 {:.1f} us (budget {} us), worst-trace cost regret {:+.3f}% (max {}%), "
      "agreement {:.1f}%; the lowest regret of the smallest (within 5%) of {} qualifying rows{}",
      r.version, r.samplingRate, r.modelBytes, r.decisionP50Us, budgetUs, 100 * r.worstTraceRegret, 100 * maxRegret,
      100 * r.agreement, ok.size(), misses.empty() ? "" : "; rejected: " + misses);
  return s;
}

}  // namespace edgecache::agent
