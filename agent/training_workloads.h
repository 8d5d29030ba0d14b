#pragma once
// What the agent trains and is evaluated on, beyond the fixed presets:
//
//  * Workload randomisation (domain randomisation). The five presets are one
//    operating point: ~1000 req/s, 100k objects of ~60 KB, Zipf 0.9, 10,000-
//    request windows. At that point capacity is nearly free (rental at the
//    ceiling is ~0.4 % of a window's all-miss egress), so a model trained
//    there learns "buy most of the working set" and sees every feature in a
//    narrow band. sampleWorkload() draws each training episode's generator
//    parameters and decision window from wide, a-priori ranges instead, so
//    the ratio that sets the shape of the cost curve (seconds to request
//    each object once, i.e. objects / request rate) spans five decades and
//    the model has to read the cost curves rather than memorise a bias.
//  * Real-trace episodes: a random contiguous segment of a trace file, at a
//    window that gives the segment at least kMinWindowsPerEpisode decisions.
//  * Held-out folds: traces that hold the same requests (cloudPhysicsIO.bin
//    and .csv) form one group; holding a trace out holds its group out.
//
// Pure functions of their arguments (seeded; no I/O, no torch), O(1) except
// the fold helpers (O(number of traces)). Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "cachelib/status.h"
#include "traces/synthetic.h"

namespace edgecache::agent {

// Ranges are inclusive; "log" ranges are sampled log-uniformly.
struct WorkloadRandomization {
  double minRequestsPerSecond = 0.5;       // log; a small site to a busy edge node
  double maxRequestsPerSecond = 2000.0;
  std::uint64_t minObjects = 5'000;        // log; catalogue size
  std::uint64_t maxObjects = 200'000;
  double minZipfAlpha = 0.6;               // uniform; popularity skew
  double maxZipfAlpha = 1.2;
  double minSizeMu = 7.0;                  // uniform; ln(median object bytes): ~1 KB ..
  double maxSizeMu = 12.0;                 //   ~160 KB (lognormal presets only)
  double minSizeSigma = 0.5;               // uniform; spread of ln(bytes)
  double maxSizeSigma = 2.5;
  double minRateAmplitude = 0.0;           // uniform; rate swing: 0 = flat, 0.95 = near-idle troughs
  double maxRateAmplitude = 0.95;
  double minRatePeriods = 0.5;             // log; rate cycles per episode
  double maxRatePeriods = 8.0;
  std::uint64_t minRequests = 50'000;      // log; episode length
  std::uint64_t maxRequests = 400'000;
  std::uint64_t minWindowRequests = 1'000;   // log; decision window
  std::uint64_t maxWindowRequests = 10'000;
  // Uniform; share of one-hit-wonder requests (traces::SyntheticConfig::
  // oneHitShare). Without them LRU is within a few percent of the best
  // policy on every training workload and the policy choice never pays:
  // the model learnt to ignore it. Drawn after everything else, so the
  // other parameters of a seed are those it had before this range existed.
  double minOneHitShare = 0.0;
  double maxOneHitShare = 0.5;
};

// Every episode gets at least this many decision windows (the window is
// shrunk to fit a short segment).
inline constexpr std::uint64_t kMinWindowsPerEpisode = 4;

struct SampledWorkload {
  traces::SyntheticConfig config;     // generator config (seed set, never 42)
  std::uint64_t windowRequests = 0;   // decision window for this episode
};

// One randomised episode built on `preset` (which keeps its drift model:
// rotation period and shift, the flash crowd and arrivals are rescaled to the
// sampled length and catalogue so each still happens within the episode).
// The request rate swings sinusoidally with a sampled amplitude and number of
// cycles, so some windows are busy and some nearly idle (idle windows last
// long and make capacity look expensive for one window: the trap the myopic
// baselines fall into on real traces).
// Same (preset, ranges, seed) -> same result on every machine.
SampledWorkload sampleWorkload(const traces::SyntheticConfig& preset, const WorkloadRandomization& ranges,
                               std::uint64_t seed);

// The bench's rule for a trace's decision window (bench/compare-all.sh): the
// configured window, divided by 10 while the trace is shorter than one window
// (a 9,954-request trace at 10,000 gets 1,000), never below 1.
std::uint64_t windowForTrace(std::uint64_t traceRequests, std::uint64_t windowRequests) noexcept;

// A randomised training segment of a file trace: [begin, end) and its window.
struct TraceSegment {
  std::uint64_t begin = 0, end = 0;
  std::uint64_t windowRequests = 0;
};
// Length uniform in [half, all] of the trace, offset uniform, window
// log-uniform in the ranges' window range, capped so the segment has
// kMinWindowsPerEpisode windows (at least 1 request each).
TraceSegment sampleTraceSegment(std::uint64_t traceRequests, const WorkloadRandomization& ranges,
                                std::uint64_t seed) noexcept;

// The fold group of a trace file: its file name up to the first '.', so
// "x/cloudPhysicsIO.oracleGeneral.bin" and "cloudPhysicsIO.csv" are both
// "cloudPhysicsIO" (the shared traces' two copies of the same requests).
std::string traceGroup(const std::string& path);

// `traces` without every trace in the group of any of `heldOut` (paths or
// file names), in their order. Error when a held-out name matches no trace
// (a typo would otherwise silently train on the evaluation trace).
cachelib::Result<std::vector<std::string>> foldTrainingTraces(const std::vector<std::string>& traces,
                                                              const std::vector<std::string>& heldOut);

}  // namespace edgecache::agent
