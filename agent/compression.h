#pragma once
// Compression for the edge: model versions (distilled students, structured
// pruning + distillation fine-tune, fp16 / int8 storage, torch or plain C++
// inference), the profile of every (model version x data version = shadow
// sampling rate) and the choice of the version to deploy.
//
// No torch here: training goes through ActorCritic, inference through
// ActorCritic (engine torch) or PlainNetwork (engine plain).
//
// Definitions used by the profile (agent/README.md repeats them):
//  * agreement: fraction of windows, over the observations recorded while the
//    full model drove the replay, where the version's deterministic action
//    takes the same policy and a capacity action within kAgreementTolerance
//    (5 % of the [floor, ceiling] range in log-bytes) of the full model's;
//  * cost regret: (total cost of the version's own replay - the full model's)
//    / the full model's, per trace at the same sampling rate; the selection
//    uses the worst trace;
//  * decision latency: one thread, FeatureEncoder::encode + inference +
//    deterministic action on the recorded window features, many repetitions,
//    p50 / p99 of individually timed decisions;
//  * feature cost: replay seconds per request with the feature tracker on at
//    the sampling rate minus with it off (static controller).
// Failure: every function returns Status/Result; bad input never aborts.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/action_distribution.h"
#include "agent/features.h"
#include "agent/model_file.h"
#include "cachelib/request.h"
#include "cachelib/status.h"

namespace edgecache::agent {

inline constexpr double kAgreementTolerance = 0.05;  // capacity action units (fraction of the log range)

// Structured pruning by weight norm: keeps the `trunkKeep` units of each trunk
// layer and the `headKeep` units of the fused head layer with the largest
// (incoming norm x outgoing norm) and slices every tensor accordingly. The
// result is a smaller, self-consistent model (fine-tune it by distillation).
cachelib::Result<ModelFile> pruneHiddenUnits(const ModelFile& model, std::uint32_t trunkKeep, std::uint32_t headKeep);

// One deployable model version.
struct ModelVersion {
  std::string name;    // "student-32x16-int8-plain", ...
  ModelFile file;      // what `compress` writes (precision and engine set)
  std::string recipe;  // how it was made (one line)
};

// A trace for profiling/distillation.
struct ProfileTrace {
  std::string name;
  std::shared_ptr<const std::vector<cachelib::Request>> requests;
  double requestRate = 0.0;  // > 0 for traces without timestamps
  std::uint64_t windowRequests = 0;  // decision window; 0 = the profile's (ProfileConfig::windowRequests)
};

struct CompressionConfig {
  std::vector<std::string> distillPresets{"stationary", "rotating", "flash", "arrivals", "video"};
  std::uint64_t distillSeed = 1;           // generator seeds distillSeed*1000 + 1..N (training seeds, never 42)
  std::size_t distillSeeds = 2;            // N
  std::uint64_t distillRequests = 0;       // requests per distillation trace (0 = preset's)
  std::size_t distillRandomized = 0;       // > 0: instead of the fixed-seed presets, this many randomised
                                           //   workloads per preset (sampleWorkload; seeds from distillSeed)
  std::vector<ProfileTrace> distillTraces; // file traces added to the distillation data (training data only:
                                           //   never the evaluation trace), whole and in random segments
  std::size_t distillTraceSegments = 4;    // random segments per distillation trace
  std::vector<std::pair<std::uint32_t, std::uint32_t>> studentWidths{{32, 16}, {16, 8}};  // (trunk, head)
  std::vector<std::pair<std::uint32_t, std::uint32_t>> prunedWidths{{32, 16}};
  int studentEpochs = 150;                 // distillation epochs for students
  int pruneFineTuneEpochs = 40;            // short fine-tune after pruning
  std::uint64_t seed = 1;
  std::function<void(const std::string&)> log;  // progress; null = stderr
};

// Replays the distillation presets (training seeds; or randomised workloads)
// and the distillation traces driven by the teacher (deterministic and
// sampled actions) and returns the raw observations seen.
cachelib::Result<std::vector<Observation>> collectDistillationObservations(const ModelFile& teacher,
                                                                           const CompressionConfig& config);
// Every version: the full model (torch, plain fp32/fp16/int8), students and
// pruned models (plain fp32/fp16/int8, and the first student via torch).
cachelib::Result<std::vector<ModelVersion>> buildVersions(const ModelFile& teacher, const std::string& teacherSource,
                                                          const std::vector<Observation>& observations,
                                                          const CompressionConfig& config);

// One (model version x data version) over all profiled traces.
struct ProfileRow {
  std::string version;
  std::string precision;           // fp32 / fp16 / int8
  std::string engine;              // torch / plain
  double samplingRate = 0.0;       // data version
  double agreement = 0.0;          // fraction of windows (see above)
  double meanAbsCapacityDelta = 0.0;  // mean |u - u_full| over windows with the same policy
  double costDollars = 0.0;        // total over traces
  double costRegret = 0.0;         // total-cost regret vs the full model (same sampling)
  double worstTraceRegret = 0.0;   // max over traces
  double hitRatio = 0.0, byteHitRatio = 0.0;  // over all traces' requests
  double decisionP50Us = 0.0, decisionP99Us = 0.0;  // encode + inference + action
  double inferenceP50Us = 0.0;     // inference alone
  double encodeP50Us = 0.0;        // feature encoding alone (same for every version)
  std::uint64_t modelBytes = 0;    // encoded model file
  double featureNsPerRequest = 0.0;  // feature tracker cost at this sampling rate
  std::uint64_t windows = 0;
};

struct ProfileConfig {
  std::vector<double> samplingRates{0.1, 0.01, 0.001};
  std::size_t latencyRepetitions = 20;  // passes over the recorded windows
  std::uint64_t windowRequests = 10'000;
  std::function<void(const std::string&)> log;
};

// Profiles `versions` (the first must be the full model: the reference) on
// `traces` at every sampling rate.
cachelib::Result<std::vector<ProfileRow>> profileVersions(const std::vector<ModelVersion>& versions,
                                                          const std::vector<ProfileTrace>& traces,
                                                          const ProfileConfig& config);

std::string profileCsv(const std::vector<ProfileRow>& rows);
// Reads profileCsv's output back (to re-plot or re-select without
// re-profiling); errors name the line.
cachelib::Result<std::vector<ProfileRow>> parseProfileCsv(const std::string& text, const std::string& source);
// Accuracy vs decision latency, one point per version and data version:
// worst-trace cost regret at the first sampling rate (labelled), cost regret
// at every rate, agreement at every rate.
cachelib::Status plotProfile(const std::string& pngPath, const std::vector<ProfileRow>& rows);

// selectVersion: model sizes within this fraction of the smallest qualifying
// one are treated as the same size.
inline constexpr double kSameSize = 0.05;

// The compress choice, a pure function of the table: among rows at
// `samplingRate` (or every rate when < 0) with decisionP50Us <= latency budget
// and worstTraceRegret <= maxCostRegret, the one with the fewest model bytes
// (sizes within kSameSize of the smallest count as equal), then the lowest
// worst-trace regret, then the lowest p50. Error (with the closest misses)
// when none qualifies.
struct Selection {
  std::size_t row = 0;  // index into rows
  std::string reason;   // one paragraph: why this one, what was rejected
};
cachelib::Result<Selection> selectVersion(const std::vector<ProfileRow>& rows, double latencyBudgetUs,
                                          double maxCostRegret, double samplingRate = -1.0);

// A version's inference as a function (torch or plain, from its ModelFile).
using Evaluator = std::function<bool(const Observation& raw, PolicyOutput& out)>;
cachelib::Result<Evaluator> makeEvaluator(const ModelFile& model, const std::string& source);

}  // namespace edgecache::agent
