#pragma once
// Seeded synthetic media workloads: Zipf popularity, configurable object
// sizes, popularity drift and rate variation. Same config (seed included) ->
// byte-identical trace, on any machine (own PRNG and distributions, not
// std::*_distribution whose output is implementation-defined). The only
// platform inputs are IEEE double arithmetic (compiled with -ffp-contract=off
// so FMA contraction cannot change it) and libm's log/log1p/exp/expm1/sin/cos:
// glibc's are accurate to < 1 ulp but not promised bit-identical across libm
// versions or its CPU-specific variants, which could flip a rare rounding. A
// pinned-digest test (tests/traces/synthetic_test.cpp) catches any such drift.
//
// Model: catalogue objects get ids 1..objects in a seeded random order; Zipf
// rank r (1 = hottest) maps to an id through a ring of catalogue slots, so
// drift only moves the ring's head. Brand-new objects (arrivals, flash crowd)
// get ids objects+1, objects+2, ... An object's size is a function of (seed,
// id) and never changes. Popularity, drift decisions and timestamps use
// separate PRNG streams: changing the rate model keeps the key sequence.
// Timestamps: Poisson arrivals at meanRequestsPerSecond * (1 + rateAmplitude *
// sin(2 pi t / ratePeriodSeconds)) by thinning, starting at t = 0.

#include <cstdint>
#include <string>
#include <vector>

#include "cachelib/request.h"
#include "cachelib/status.h"

namespace edgecache::traces {

enum class SizeModel {
  kLognormal,   // sizes ~ exp(N(sizeMu, sizeSigma)), clamped to [minSize, maxSize]
  kFixedChunk,  // every object is chunkBytes (video segments)
  kUnit,        // every object is 1 byte (object-count caching)
};

enum class DriftModel {
  kNone,         // stationary Zipf
  kRotating,     // the hot set rotates: every rotateEveryRequests the ranks shift by rotateShift objects
  kFlashCrowd,   // a flash crowd: during [flashStart, flashStart+flashLength) requests,
                 // flashShare of requests go to flashObjects brand-new objects
  kNewArrivals,  // a steady stream of new objects enters at the top ranks
};

struct SyntheticConfig {
  std::uint64_t seed = 42;
  std::uint64_t requests = 1'000'000;
  std::uint64_t objects = 100'000;        // catalogue size (before arrivals/flash objects)
  double zipfAlpha = 0.9;                 // popularity skew
  SizeModel sizeModel = SizeModel::kLognormal;
  double sizeMu = 11.0;                   // lognormal mu of ln(bytes): e^11 ~ 60 KB
  double sizeSigma = 1.5;
  std::uint64_t minSizeBytes = 1;
  std::uint64_t maxSizeBytes = 64ull << 20;
  std::uint64_t chunkBytes = 2ull << 20;  // kFixedChunk
  DriftModel drift = DriftModel::kNone;
  std::uint64_t rotateEveryRequests = 100'000;
  std::uint64_t rotateShift = 1'000;
  double flashStartFraction = 0.5;        // of the trace
  double flashLengthFraction = 0.1;
  double flashShare = 0.5;
  std::uint64_t flashObjects = 100;
  double arrivalsPerRequest = 0.001;      // kNewArrivals
  // Share of requests for one-hit wonders: a brand-new object, never asked
  // for again (with any drift model). Web and CDN traces have many (the
  // reason S3-FIFO, ARC and SIEVE beat LRU on them). 0 (every preset)
  // leaves the rest of the sequence exactly as without it.
  double oneHitShare = 0.0;
  double meanRequestsPerSecond = 1000.0;  // timestamps: Poisson arrivals
  double rateAmplitude = 0.5;             // diurnal-like sinusoidal rate variation (0 = flat)
  double ratePeriodSeconds = 3600.0;
};

// Named presets used by make demo, tests and bench (all 1M requests, seed 42,
// ~1000 req/s with +-50 % hourly rate swing; each generates in well under 1 s):
//   "stationary": 100k objects, Zipf 0.9, lognormal sizes (median e^11 ~ 60 KB,
//                 sigma 1.5, 1 B..64 MiB), no drift.
//   "rotating":   as stationary, but every 100k requests the hot set moves by
//                 5000 ranks (the old head sinks to the tail of the ring).
//   "flash":      as stationary, plus a flash crowd: from 50 % to 60 % of the
//                 trace, half of the requests go to 100 brand-new objects
//                 (Zipf 0.9 among themselves), never requested again after.
//   "video":      50k objects of fixed 2 MiB chunks, Zipf 0.8, rotating by 2000
//                 ranks every 100k requests, 500 req/s.
//   "arrivals":   as stationary, plus new objects entering at rank 1 with
//                 probability 0.005 per request (~5000 over the trace), pushing
//                 the coldest catalogue object out.
// Unknown name: the error lists the valid names.
cachelib::Result<SyntheticConfig> syntheticPreset(const std::string& name);

// OK, or one line naming the first field out of range (e.g. objects == 0,
// zipfAlpha < 0, a fraction outside [0, 1], minSizeBytes > maxSizeBytes).
cachelib::Status validateSyntheticConfig(const SyntheticConfig& config);

// `config.requests` requests with nextAccessIndex filled in. An invalid config
// (see validateSyntheticConfig) is clamped to the nearest valid one rather
// than failing. O(requests + objects) time; memory ~32 B per request plus
// 16 B per catalogue object. Deterministic: see the top of this file.
std::vector<cachelib::Request> generateSynthetic(const SyntheticConfig& config);

}  // namespace edgecache::traces
