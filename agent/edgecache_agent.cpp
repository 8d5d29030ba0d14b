// edgecache-agent: train and inspect the DRL controller's models.
//   edgecache-agent train --synthetic rotating --synthetic flash ... --out model.ecdrl
//   edgecache-agent info model.ecdrl
//   edgecache-agent latency [--model FILE] [--during-finetune]

#include <cstdio>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "agent/actor_critic.h"
#include "agent/decision_latency.h"
#include "agent/drl_controller.h"
#include "agent/model_file.h"
#include "agent/ppo_trainer.h"

namespace {

using namespace edgecache;

std::string joinArgs(int argc, char** argv) {
  std::string s = "edgecache-agent";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s;
}

}  // namespace

int main(int argc, char** argv) {
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
                    "Joint-greedy demonstration episodes for a behaviour-cloning warm start before PPO (0 = none)")
      ->capture_default_str();
  train->add_option("--imitation-epochs", cfg.imitationEpochs, "Supervised passes over the demonstrations")
      ->capture_default_str();
  train->add_option("--synthetic-seeds", cfg.syntheticSeeds, "Distinct generator seeds per synthetic preset")
      ->capture_default_str();
  train->add_option("--requests", cfg.syntheticRequests, "Requests per synthetic trace (0 = preset's 1M)")
      ->capture_default_str();
  train->add_option("--segment-requests", cfg.segmentRequests, "File traces: requests per episode segment")
      ->capture_default_str();
  train->add_option("--jobs", cfg.jobs, "Episodes replayed in parallel (results do not depend on it)")
      ->capture_default_str();
  train->add_option("--window", cfg.env.windowRequests, "Decision window in requests")->capture_default_str();
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
    std::printf("file: %s\nformat_version: %u\narchitecture: %s\nfeature_schema: %s\npolicy_ids:", path.c_str(),
                m->formatVersion, m->architecture.describe().c_str(), m->featureSchema.c_str());
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
  latency->add_option("--window", latencyCfg.windowRequests, "Decision window in requests")->capture_default_str();
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

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return exitCode;
}
