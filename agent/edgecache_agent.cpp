// edgecache-agent: train and inspect the DRL controller's models.
//   edgecache-agent train --synthetic rotating --synthetic flash ... --out model.ecdrl
//   edgecache-agent info model.ecdrl
//   edgecache-agent latency [--model FILE] [--during-finetune]
//   edgecache-agent inspect --trace T [--model M]   (decisions, out-of-range features)
//   edgecache-agent profile --model M --csv OUT.csv --plot OUT.png
//   edgecache-agent compress --model M --latency-budget-us 10 --max-cost-regret 0.01 --out edge.ecdrl

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "agent/actor_critic.h"
#include "agent/decision_latency.h"
#include "agent/compression.h"
#include "agent/drl_controller.h"
#include "agent/model_file.h"
#include "agent/ppo_trainer.h"
#include "agent/training_workloads.h"
#include "cachelib/policy_registry.h"
#include "traces/synthetic.h"
#include "traces/trace_reader.h"

namespace {

using namespace edgecache;

std::string joinArgs(int argc, char** argv) {
  std::string s = "edgecache-agent";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

// Options shared by `profile` and `compress`.
struct CompressOptions {
  std::string model;                 // teacher (the full model)
  std::vector<std::string> synthetic;  // evaluation presets (seed 42)
  std::vector<std::string> traceFiles;
  std::vector<std::string> distillTraceFiles;
  std::string sampling = "0.1,0.01,0.001";
  std::uint64_t requests = 0;        // evaluation requests per synthetic trace (0 = preset's)
  std::uint64_t evalSeed = 42;
  std::size_t evalRandomized = 0;    // randomised evaluation workloads per preset
  std::size_t repetitions = 20;
  std::string versionsDir;           // write every version's model file here
  std::string students = "32x16,16x8";
  std::string pruned = "32x16";
  agent::CompressionConfig compression;
};

void addCompressOptions(CLI::App* cmd, CompressOptions& o) {
  cmd->add_option("--model", o.model, "The full model (default: the shipped default model)");
  cmd->add_option("--synthetic", o.synthetic,
                  "Evaluation preset (repeatable; default all five: stationary, rotating, flash, arrivals, video)");
  cmd->add_option("--trace", o.traceFiles, "Evaluation trace file (repeatable)");
  cmd->add_option("--sampling", o.sampling, "Data versions: shadow sampling rates, comma-separated")->capture_default_str();
  cmd->add_option("--requests", o.requests, "Requests per synthetic evaluation trace (0 = preset's 1M)")
      ->capture_default_str();
  cmd->add_option("--eval-seed", o.evalSeed, "Generator seed of the evaluation traces")->capture_default_str();
  cmd->add_option("--eval-randomized", o.evalRandomized,
                  "Also evaluate on N randomised workloads per preset (the --randomize-workloads distribution, "
                  "seeded from --eval-seed; never the distillation workloads): the regret check then covers "
                  "one-hit wonders, object sizes, rates and windows the fixed presets do not")
      ->capture_default_str();
  cmd->add_option("--repetitions", o.repetitions, "Latency: passes over the recorded windows")->capture_default_str();
  cmd->add_option("--distill-seed", o.compression.distillSeed,
                  "Distillation data: preset seeds SEED*1000+1..N (training seeds; 42 is refused)")
      ->capture_default_str();
  cmd->add_option("--distill-seeds", o.compression.distillSeeds, "Distillation data: N seeds per preset")
      ->capture_default_str();
  cmd->add_option("--distill-requests", o.compression.distillRequests,
                  "Requests per distillation trace (0 = preset's 1M)")
      ->capture_default_str();
  cmd->add_option("--distill-randomized", o.compression.distillRandomized,
                  "Distillation data: N randomised workloads per preset (the --randomize-workloads distribution) "
                  "instead of the fixed-seed presets")
      ->capture_default_str();
  cmd->add_option("--distill-trace", o.distillTraceFiles,
                  "Distillation data: also this trace file, whole and in random segments (repeatable; training "
                  "data only, never an evaluation trace)");
  cmd->add_option("--student-epochs", o.compression.studentEpochs, "Distillation epochs per student")
      ->capture_default_str();
  cmd->add_option("--prune-epochs", o.compression.pruneFineTuneEpochs, "Fine-tune epochs after pruning")
      ->capture_default_str();
  cmd->add_option("--versions-dir", o.versionsDir, "Also write every version's model file into this directory");
  cmd->add_option("--students", o.students, "Distilled students, TRUNKxHEAD widths, comma-separated")
      ->capture_default_str();
  cmd->add_option("--pruned", o.pruned, "Pruned versions, TRUNKxHEAD widths, comma-separated (\"\" = none)")
      ->capture_default_str();
}

// "32x16,16x8" -> {{32, 16}, {16, 8}}; "" -> {}.
cachelib::Result<std::vector<std::pair<std::uint32_t, std::uint32_t>>> parseWidths(const std::string& text,
                                                                                  const std::string& option) {
  using R = cachelib::Result<std::vector<std::pair<std::uint32_t, std::uint32_t>>>;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    unsigned trunk = 0, head = 0;
    char x = 0, extra = 0;
    if (std::sscanf(item.c_str(), "%u%c%u%c", &trunk, &x, &head, &extra) != 3 || x != 'x' || trunk == 0 || head == 0)
      return R::error(option + ": '" + item + "' is not TRUNKxHEAD (e.g. 16x8)");
    out.emplace_back(trunk, head);
  }
  return out;
}

cachelib::Result<std::vector<double>> parseRates(const std::string& text) {
  std::vector<double> rates;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      std::size_t used = 0;
      const double r = std::stod(item, &used);
      if (used != item.size() || !(r > 0.0 && r <= 1.0)) throw std::out_of_range("rate");
      rates.push_back(r);
    } catch (const std::exception&) {
      return cachelib::Result<std::vector<double>>::error("--sampling: '" + item + "' is not a rate in (0, 1]");
    }
  }
  if (rates.empty()) return cachelib::Result<std::vector<double>>::error("--sampling: no rates");
  return rates;
}

// Builds every version and profiles it; the common part of profile/compress.
struct ProfileRun {
  std::vector<agent::ModelVersion> versions;
  std::vector<agent::ProfileRow> rows;
};

cachelib::Result<ProfileRun> runProfile(const CompressOptions& o) {
  using R = cachelib::Result<ProfileRun>;
  const auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  const std::string modelPath = o.model.empty() ? agent::defaultModelPath() : o.model;
  auto rates = parseRates(o.sampling);
  if (!rates) return rates.status();
  auto teacher = agent::readModelFile(modelPath);
  if (!teacher) return teacher.status();
  if (auto check = agent::ActorCritic::fromModelFile(teacher.value(), modelPath); !check) return check.status();
  std::vector<agent::ProfileTrace> traces;
  std::vector<std::string> presets = o.synthetic;
  if (presets.empty() && o.traceFiles.empty()) presets = {"stationary", "rotating", "flash", "arrivals", "video"};
  for (const auto& p : presets) {
    auto cfg = traces::syntheticPreset(p);
    if (!cfg) return cfg.status();
    auto sc = cfg.value();
    sc.seed = o.evalSeed;
    if (o.requests) sc.requests = o.requests;
    traces.push_back({p, std::make_shared<const std::vector<cachelib::Request>>(traces::generateSynthetic(sc)), 0.0});
  }
  for (std::size_t j = 0; j < o.evalRandomized; ++j)
    for (std::size_t p = 0; p < presets.size(); ++p) {
      auto cfg = traces::syntheticPreset(presets[p]);
      if (!cfg) return cfg.status();
      // Seeds from their own stream: the distillation workloads are drawn
      // from distillSeed * 1000 + k (xor another constant), never these.
      const std::uint64_t seed = (o.evalSeed * 1'000'003 + j * presets.size() + p) ^ 0xe7a1'5eedull;
      const auto w = agent::sampleWorkload(cfg.value(), agent::WorkloadRandomization{}, seed);
      traces.push_back({fmt::format("{}~{}", presets[p], w.config.seed),
                        std::make_shared<const std::vector<cachelib::Request>>(traces::generateSynthetic(w.config)),
                        0.0, w.windowRequests});
    }
  auto load = [](const std::string& path) -> cachelib::Result<agent::ProfileTrace> {
    auto t = traces::readTrace(path);
    if (!t) return t.status();
    if (t->requests.empty()) return cachelib::Result<agent::ProfileTrace>::error(path + ": no requests");
    const double rate = t->hasTimestamps ? 0.0 : 1000.0;
    return agent::ProfileTrace{std::filesystem::path(path).filename().string(),
                               std::make_shared<const std::vector<cachelib::Request>>(std::move(t->requests)), rate};
  };
  for (const auto& path : o.traceFiles) {
    auto t = load(path);
    if (!t) return t.status();
    traces.push_back(std::move(t.value()));
  }
  agent::CompressionConfig compression = o.compression;
  auto students = parseWidths(o.students, "--students");
  if (!students) return students.status();
  auto pruned = parseWidths(o.pruned, "--pruned");
  if (!pruned) return pruned.status();
  compression.studentWidths = students.value();
  compression.prunedWidths = pruned.value();
  for (const auto& path : o.distillTraceFiles) {
    const std::string name = std::filesystem::path(path).filename().string();
    for (const auto& eval : o.traceFiles)
      if (agent::traceGroup(eval) == agent::traceGroup(path))
        return R::error("--distill-trace " + path + " is in the same group as the evaluation trace " + eval);
    auto t = load(path);
    if (!t) return t.status();
    compression.distillTraces.push_back(std::move(t.value()));
  }
  std::fprintf(stderr, "profile: teacher %s, %zu evaluation traces, %zu sampling rates\n", modelPath.c_str(),
               traces.size(), rates->size());
  auto obs = agent::collectDistillationObservations(teacher.value(), compression);
  if (!obs) return obs.status();
  std::fprintf(stderr, "profile: %zu distillation observations (%.0f s)\n", obs->size(), elapsed());
  auto versions = agent::buildVersions(teacher.value(), modelPath, obs.value(), compression);
  if (!versions) return versions.status();
  std::fprintf(stderr, "profile: %zu model versions built (%.0f s)\n", versions->size(), elapsed());
  if (!o.versionsDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.versionsDir, ec);
    for (const auto& v : versions.value())
      if (auto st = agent::writeModelFile(o.versionsDir + "/" + v.name + ".ecdrl", v.file); !st) return st;
  }
  agent::ProfileConfig pc;
  pc.samplingRates = rates.value();
  pc.latencyRepetitions = o.repetitions;
  auto rows = agent::profileVersions(versions.value(), traces, pc);
  if (!rows) return rows.status();
  std::fprintf(stderr, "profile: done (%.0f s)\n", elapsed());
  return ProfileRun{std::move(versions.value()), std::move(rows.value())};
}

cachelib::Status writeText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  if (!out || !(out << text) || !out.flush()) return cachelib::Status::error(path + ": cannot write");
  return cachelib::Status::ok();
}

}  // namespace

int main(int argc, char** argv) {
  // Tables go to stdout, progress to stderr: line buffering keeps them whole
  // lines when both are redirected to one log.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  CLI::App app{"edgecache-agent: deep-RL cache controller (capacity + replacement policy per window)"};
  app.require_subcommand(1);

  agent::TrainConfig cfg;
  cfg.out = "model.ecdrl";
  CLI::App* train = app.add_subcommand(
      "train",
      "Train a model with PPO on WindowedReplay episodes. Progress (episode, reward, cost vs joint-greedy) goes to "
      "stderr; the best model on held-out evaluation episodes is checkpointed to --out. Seeded and reproducible.");
  train->add_option("--trace", cfg.traceFiles, "Training trace file (repeatable; any edgecache-bench format)");
  train->add_option("--synthetic", cfg.synthetic,
                    "Synthetic preset to train on (repeatable): stationary, rotating, flash, arrivals, video");
  train->add_option("--out", cfg.out, "Model file to write")->capture_default_str();
  train->add_option("--seed", cfg.seed, "Seed (weights, sampling, synthetic trace seeds seed*1000+i)")->capture_default_str();
  train->add_option("--episodes", cfg.episodes, "Training episodes in total")->capture_default_str();
  train->add_option("--episodes-per-update", cfg.episodesPerUpdate, "Episodes collected per PPO update")
      ->capture_default_str();
  train->add_option("--imitation-episodes", cfg.imitationEpisodes,
                    "Demonstration episodes (see --imitation-expert) for a behaviour-cloning warm start before PPO "
                    "(0 = none)")
      ->capture_default_str();
  train->add_option("--imitation-epochs", cfg.imitationEpochs, "Supervised passes over the demonstrations")
      ->capture_default_str();
  train->add_option("--imitation-expert", cfg.imitationExpert,
                    "Whom the warm start copies: greedy (joint-greedy) or hindsight (per episode, the cheaper in "
                    "hindsight of joint-greedy and the best static policy x capacity)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, agent::ImitationExpert>{
          {"greedy", agent::ImitationExpert::kJointGreedy}, {"hindsight", agent::ImitationExpert::kHindsightBest}}))
      ->capture_default_str();
  train->add_option("--synthetic-seeds", cfg.syntheticSeeds, "Distinct generator seeds per synthetic preset")
      ->capture_default_str();
  train->add_option("--requests", cfg.syntheticRequests, "Requests per synthetic trace (0 = preset's 1M)")
      ->capture_default_str();
  train->add_option("--segment-requests", cfg.segmentRequests,
                    "File traces: requests per episode segment (without --randomize-workloads)")
      ->capture_default_str();
  train->add_option("--hold-out", cfg.heldOut,
                    "Leave this trace and its fold group (same name up to the first '.') out of --trace (repeatable)");
  train->add_flag("--randomize-workloads", cfg.randomizeWorkloads,
                  "Each synthetic episode draws its generator parameters (request rate, catalogue, skew, sizes, "
                  "length) and decision window from wide ranges; each trace episode is a random segment at a random "
                  "window (agent/training_workloads.h)");
  train->add_option("--eval-workloads", cfg.evalWorkloadsPerPreset,
                    "With --randomize-workloads: held-out evaluation workloads per preset")
      ->capture_default_str();
  train->add_option("--eval-seed", cfg.evalSeed,
                    "With --randomize-workloads: seed of the held-out evaluation workloads (0 = derived from --seed; "
                    "fix it to compare the best evaluations of runs with different --seed)")
      ->capture_default_str();
  train->add_option("--jobs", cfg.jobs, "Episodes replayed in parallel (results do not depend on it)")
      ->capture_default_str();
  train->add_option("--window", cfg.env.windowRequests, "Decision window in requests")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000000000}))
      ->capture_default_str();
  train->add_option("--floor-fraction", cfg.env.floorFraction, "Smallest capacity, fraction of the working set")
      ->capture_default_str();
  train->add_option("--ceiling-fraction", cfg.env.ceilingFraction, "Largest capacity, fraction of the working set")
      ->capture_default_str();
  train->add_option("--grid-points", cfg.env.gridPoints, "What-if capacities")->capture_default_str();
  train->add_option("--price-gb-hour", cfg.env.prices.dollarsPerGbHour, "Rental $ per GB-hour")->capture_default_str();
  train->add_option("--price-egress-gb", cfg.env.prices.dollarsPerGbEgress, "Egress $ per GB")->capture_default_str();
  train->add_option("--price-resize", cfg.env.prices.dollarsPerResize, "$ per capacity change")->capture_default_str();
  train->add_option("--switch-penalty", cfg.switchPenalty,
                    "Reward penalty per policy switch (units: mean all-miss egress cost of a window)")
      ->capture_default_str();
  train->add_option("--reward-unit", cfg.rewardUnit,
                    "Per-window cost unit of the reward: egress (the episode's mean all-miss egress per window) or "
                    "greedy (joint-greedy's mean cost per window on the episode; one extra replay per episode)")
      ->transform(CLI::CheckedTransformer(std::map<std::string, agent::RewardUnit>{
          {"egress", agent::RewardUnit::kAllMissEgress}, {"greedy", agent::RewardUnit::kBaselineCost}}))
      ->capture_default_str();
  train->add_option("--gamma", cfg.gamma, "Discount")->capture_default_str();
  train->add_option("--gae-lambda", cfg.gaeLambda, "GAE lambda")->capture_default_str();
  train->add_option("--lr", cfg.ppo.learningRate, "Adam learning rate")->capture_default_str();
  train->add_option("--clip", cfg.ppo.clip, "PPO clip epsilon")->capture_default_str();
  train->add_option("--epochs", cfg.ppo.epochs, "PPO epochs per update")->capture_default_str();
  train->add_option("--minibatch", cfg.ppo.minibatch, "PPO minibatch size")->capture_default_str();
  train->add_option("--entropy-policy", cfg.ppo.entropyPolicy, "Entropy bonus, policy part")->capture_default_str();
  train->add_option("--entropy-capacity", cfg.ppo.entropyCapacity, "Entropy bonus, capacity part")
      ->capture_default_str();
  train->add_option("--eval-every", cfg.evalEvery, "Updates between held-out evaluations/checkpoints (0 = never)")
      ->capture_default_str();
  train->add_flag("!--keep-last", cfg.keepBest, "Write the last model instead of the best evaluated one");
  train->add_flag("!--no-greedy", cfg.compareGreedy, "Do not replay joint-greedy for the cost comparison");
  int exitCode = 0;
  train->callback([&] {
    cfg.command = joinArgs(argc, argv);
    auto report = agent::train(cfg);
    if (!report) {
      std::fprintf(stderr, "edgecache-agent train: %s\n", report.message().c_str());
      exitCode = 1;
      return;
    }
    std::fprintf(stderr, "trained %zu episodes / %zu updates in %.1f s; mean episode reward %.3f -> %.3f; best eval cost "
                 "%.4fx joint-greedy; model %s\n",
                 report->episodes, report->updates, report->seconds, report->firstRoundReward, report->lastRoundReward,
                 report->bestEvalRatio, cfg.out.c_str());
  });

  std::string infoPath;
  CLI::App* info = app.add_subcommand("info", "Print a model file's header (format, architecture, schema, ids, metadata)");
  info->add_option("model", infoPath, "Model file (default: the shipped default model)");
  info->callback([&] {
    const std::string path = infoPath.empty() ? agent::defaultModelPath() : infoPath;
    auto m = agent::readModelFile(path);
    if (!m) {
      std::fprintf(stderr, "edgecache-agent info: %s\n", m.message().c_str());
      exitCode = 1;
      return;
    }
    std::size_t params = 0;
    for (const auto& t : m->tensors) params += t.values.size();
    std::printf("file: %s\nformat_version: %u\narchitecture: %s\nprecision: %s\nengine: %s\nfeature_schema: %s\npolicy_ids:",
                path.c_str(), m->formatVersion, m->architecture.describe().c_str(), agent::precisionName(m->precision),
                agent::engineName(m->engine), m->featureSchema.c_str());
    for (auto id : m->policyIds) std::printf(" %u", unsigned(id));
    std::printf("\ntensors: %zu (%zu floats)\n", m->tensors.size(), params);
    for (const auto& [k, v] : m->metadata) std::printf("%s: %s\n", k.c_str(), v.c_str());
    auto model = agent::ActorCritic::fromModelFile(m.value(), path);
    std::printf("compatible with this build: %s\n", model ? "yes" : model.message().c_str());
    if (!model) exitCode = 1;
  });

  agent::LatencyProbeConfig latencyCfg;
  latencyCfg.duringFineTune = false;
  CLI::App* latency = app.add_subcommand(
      "latency", "Decision latency (p50/p99, one thread) of the online drl controller, idle and (with "
                 "--during-finetune) while a fine-tune runs on its background thread");
  latency->add_option("--model", latencyCfg.modelPath, "Model file (default: the shipped default model)");
  latency->add_flag("--during-finetune", latencyCfg.duringFineTune, "Also measure while fine-tuning");
  latency->add_option("--synthetic", latencyCfg.preset, "Synthetic preset the window features come from")
      ->capture_default_str();
  latency->add_option("--seed", latencyCfg.seed, "Trace seed")->capture_default_str();
  latency->add_option("--requests", latencyCfg.requests, "Trace length")->capture_default_str();
  latency->add_option("--window", latencyCfg.windowRequests, "Decision window in requests")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000000000}))
      ->capture_default_str();
  latency->add_option("--decisions", latencyCfg.decisions, "Timed decisions per row")->capture_default_str();
  latency->add_option("--trainer-nice", latencyCfg.trainerNice, "Niceness of the training thread (0 = none)")
      ->capture_default_str();
  latency->callback([&] {
    auto report = agent::measureDecisionLatency(latencyCfg);
    if (!report) {
      std::fprintf(stderr, "edgecache-agent latency: %s\n", report.message().c_str());
      exitCode = 1;
      return;
    }
    std::printf("%-18s %8s %9s %9s %9s %9s %10s\n", "condition", "samples", "p50_us", "p99_us", "max_us", "mean_us",
                "fine-tunes");
    for (const auto& r : report->rows)
      std::printf("%-18s %8zu %9.1f %9.1f %9.1f %9.1f %10llu\n", r.condition.c_str(), r.samples, r.p50Us, r.p99Us,
                  r.maxUs, r.meanUs, static_cast<unsigned long long>(r.fineTunes));
    if (latencyCfg.duringFineTune)
      std::printf("fine-tune window W = %llu requests, %.2f s per fine-tune; handing one over (window copy) took "
                  "%.0f us\n",
                  static_cast<unsigned long long>(report->windowRequests), report->fineTuneSeconds, report->scheduleUs);
  });

  std::string inspectModel, inspectTrace;
  std::uint64_t inspectWindow = 10'000;
  CLI::App* inspect = app.add_subcommand(
      "inspect",
      "Replay a trace under a model (deterministic, frozen) and show, per window, its decision and which input "
      "features fall outside the range the model was trained on (at the normaliser's +-5 sigma clip)");
  inspect->add_option("--model", inspectModel, "Model file, engine torch (default: the shipped default model)");
  inspect->add_option("--trace", inspectTrace, "Trace file")->required();
  inspect->add_option("--window", inspectWindow, "Decision window in requests (shorter traces get a tenth, as in "
                                                 "bench/compare-all.sh)")
      ->capture_default_str();
  inspect->callback([&] {
    auto fail = [&](const std::string& m) {
      std::fprintf(stderr, "edgecache-agent inspect: %s\n", m.c_str());
      exitCode = 1;
    };
    auto model = agent::ActorCritic::load(inspectModel.empty() ? agent::defaultModelPath() : inspectModel);
    if (!model) return fail(model.message());
    auto t = traces::readTrace(inspectTrace);
    if (!t) return fail(t.message());
    agent::EnvSettings env;
    env.requestRate = t->hasTimestamps ? 0.0 : 1000.0;
    env.windowRequests = agent::windowForTrace(t->requests.size(), inspectWindow);
    auto requests = std::make_shared<const std::vector<cachelib::Request>>(std::move(t->requests));
    agent::ReplayEpisode episode(requests, env, 0.0, inspectTrace);
    agent::Rng rng(1);
    auto r = agent::rollout(*model.value(), episode, rng, 0.9, 0.95, agent::RolloutMode::kDeterministic);
    if (!r) return fail(r.message());
    const auto ids = agent::actionPolicyIds();
    const std::size_t dims = agent::kGlobalDims + ids.size() * agent::kPerPolicyDims;
    std::size_t clippedTotal = 0;
    std::map<std::string, std::size_t> byName;
    std::printf("%-6s %-8s %14s %9s  %s\n", "window", "policy", "capacity", "clipped", "features at the clip");
    for (std::size_t w = 0; w < r->steps; ++w) {
      const auto& a = r->samples[w].action;
      const auto clipped = agent::clippedFeatures(r->samples[w].obs);
      clippedTotal += clipped.size();
      std::string names;
      for (std::size_t i : clipped) {
        const std::string n = agent::featureName(i, ids.size());
        ++byName[n];
        if (names.size() < 100) {
          if (!names.empty()) names += ' ';
          names += n;
        }
      }
      const auto* p = cachelib::findPolicy(ids.at(a.policyIndex));
      std::printf("%-6zu %-8s %14llu %4zu/%zu  %s\n", w + 1, p ? std::string(p->name).c_str() : "?",
                  static_cast<unsigned long long>(agent::capacityFromAction(episode.config().context, a.capacityAction)),
                  clipped.size(), dims, names.c_str());
    }
    std::printf("%zu decisions; %.1f%% of feature values at the clip\n", r->steps,
                r->steps ? 100.0 * double(clippedTotal) / double(r->steps * dims) : 0.0);
  });

  CompressOptions profileOpts;
  std::string csvPath, plotPath;
  CLI::App* profile = app.add_subcommand(
      "profile",
      "Build the model versions (full, distilled students, pruned, fp16/int8, torch/plain inference) and profile every "
      "(model version x shadow sampling rate) in replay: agreement with the full model, total cost and hit ratio, "
      "decision latency p50/p99, model bytes, feature cost. Writes a CSV and an accuracy-vs-latency plot.");
  addCompressOptions(profile, profileOpts);
  std::string fromCsv;
  profile->add_option("--csv", csvPath, "CSV output");
  profile->add_option("--plot", plotPath, "PNG output (gnuplot)");
  profile->add_option("--from-csv", fromCsv, "Do not profile: re-plot (--plot) a CSV written by an earlier run");
  profile->callback([&] {
    if (!fromCsv.empty()) {
      std::ifstream in(fromCsv);
      const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      auto rows = in ? agent::parseProfileCsv(text, fromCsv)
                     : cachelib::Result<std::vector<agent::ProfileRow>>::error(fromCsv + ": cannot read");
      auto st = !rows ? rows.status()
                      : plotPath.empty() ? cachelib::Status::error("--from-csv needs --plot")
                                         : agent::plotProfile(plotPath, rows.value());
      if (!st) {
        std::fprintf(stderr, "edgecache-agent profile: %s\n", st.message().c_str());
        exitCode = 1;
      }
      return;
    }
    if (csvPath.empty()) {
      std::fprintf(stderr, "edgecache-agent profile: --csv is required\n");
      exitCode = 1;
      return;
    }
    auto run = runProfile(profileOpts);
    if (!run) {
      std::fprintf(stderr, "edgecache-agent profile: %s\n", run.message().c_str());
      exitCode = 1;
      return;
    }
    if (auto st = writeText(csvPath, agent::profileCsv(run->rows)); !st) {
      std::fprintf(stderr, "edgecache-agent profile: %s\n", st.message().c_str());
      exitCode = 1;
      return;
    }
    std::printf("%s", agent::profileCsv(run->rows).c_str());
    if (!plotPath.empty())
      if (auto st = agent::plotProfile(plotPath, run->rows); !st) {
        std::fprintf(stderr, "edgecache-agent profile: %s\n", st.message().c_str());
        exitCode = 1;
      }
  });

  CompressOptions compressOpts;
  compressOpts.sampling = "0.1";
  double budgetUs = 10.0, maxRegret = 0.01;
  std::string outPath, compressCsv;
  CLI::App* compress = app.add_subcommand(
      "compress",
      "Profile the model versions (as `profile`) and write the cheapest one (fewest bytes, then fastest) whose decision "
      "p50 is within the latency budget and whose worst-trace total-cost regret vs the full model is at most the "
      "maximum, at the first --sampling rate. Exits 1 when none qualifies.");
  addCompressOptions(compress, compressOpts);
  compress->add_option("--latency-budget-us", budgetUs, "Decision p50 budget in microseconds")->capture_default_str();
  compress->add_option("--max-cost-regret", maxRegret, "Maximum cost regret as a fraction (0.01 = 1%)")
      ->capture_default_str();
  compress->add_option("--out", outPath, "Model file to write")->required();
  compress->add_option("--csv", compressCsv, "Also write the profile table here");
  compress->callback([&] {
    auto run = runProfile(compressOpts);
    if (!run) {
      std::fprintf(stderr, "edgecache-agent compress: %s\n", run.message().c_str());
      exitCode = 1;
      return;
    }
    if (!compressCsv.empty()) (void)writeText(compressCsv, agent::profileCsv(run->rows));
    const double rate = parseRates(compressOpts.sampling).value().front();
    auto sel = agent::selectVersion(run->rows, budgetUs, maxRegret, rate);
    if (!sel) {
      std::fprintf(stderr, "edgecache-agent compress: %s\n", sel.message().c_str());
      exitCode = 1;
      return;
    }
    const auto& row = run->rows[sel->row];
    for (const auto& v : run->versions)
      if (v.name == row.version) {
        agent::ModelFile file = v.file;
        file.metadata["command"] = joinArgs(argc, argv);
        file.metadata["selected_because"] = sel->reason.substr(0, sel->reason.find("; rejected"));
        if (auto st = agent::writeModelFile(outPath, file); !st) {
          std::fprintf(stderr, "edgecache-agent compress: %s\n", st.message().c_str());
          exitCode = 1;
          return;
        }
      }
    std::printf("chose %s\nwrote %s\n", sel->reason.c_str(), outPath.c_str());
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exitCode;
}
