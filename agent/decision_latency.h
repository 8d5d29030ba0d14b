#pragma once
// Decision latency of the online DRL controller on one thread, idle and
// while a fine-tune runs on its background thread (`edgecache-agent
// latency`): the check that online fine-tuning never stalls decisions.
//
// Method: a seeded synthetic trace is replayed once to record real window
// features; an OnlineDrlController (background mode, no timer) is fed the
// requests, then decide() is timed back to back over those features —
// first with no fine-tune running ("idle"), then ("during fine-tune") only
// calls that start while a fine-tune runs are counted, a new fine-tune being
// requested whenever the previous one ends. The call that hands a
// fine-tune over (requestFineTune(), what decide() does every R windows:
// share the ring's chunks, copy the open one) is timed separately.
// Runs for seconds to minutes (every fine-tune replays the window several
// times); not thread safe; fails only on an unusable model.

#include <cstdint>
#include <string>
#include <vector>

#include "cachelib/status.h"

namespace edgecache::agent {

struct LatencyProbeConfig {
  std::string modelPath;             // "" = the shipped default model
  std::string preset = "rotating";   // synthetic trace the features come from
  std::uint64_t seed = 42;
  std::uint64_t requests = 400'000;  // trace length (also the ring: the last 32 windows)
  std::uint64_t windowRequests = 10'000;
  std::size_t decisions = 5'000;     // timed decisions per row
  bool duringFineTune = true;        // also measure while fine-tuning
  int trainerNice = 10;              // the training thread's niceness (OnlineDrlController::Options)
};

struct LatencyRow {
  std::string condition;             // "idle", "during fine-tune"
  std::size_t samples = 0;
  double p50Us = 0.0, p99Us = 0.0, maxUs = 0.0, meanUs = 0.0;
  std::uint64_t fineTunes = 0;       // fine-tunes completed while this row was measured
};

struct LatencyReport {
  std::vector<LatencyRow> rows;
  double scheduleUs = 0.0;           // the decide() that hands a fine-tune over (copies W requests)
  std::uint64_t windowRequests = 0;  // W used by the fine-tunes
  double fineTuneSeconds = 0.0;      // mean wall time of one fine-tune
};

cachelib::Result<LatencyReport> measureDecisionLatency(const LatencyProbeConfig& config);

}  // namespace edgecache::agent
