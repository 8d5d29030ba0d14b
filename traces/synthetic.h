#pragma once
// Seeded synthetic media workloads: Zipf popularity, configurable object
// sizes, popularity drift and rate variation. Same config (seed included) ->
// byte-identical trace, on any machine (own PRNG and distributions, not
// std::*_distribution whose output is implementation-defined).

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
  double meanRequestsPerSecond = 1000.0;  // timestamps: Poisson arrivals
  double rateAmplitude = 0.5;             // diurnal-like sinusoidal rate variation (0 = flat)
  double ratePeriodSeconds = 3600.0;
};

// Named presets used by make demo, tests and bench: "stationary", "rotating",
// "flash" (and "video": fixed 2 MiB chunks with rotation). Error lists names.
cachelib::Result<SyntheticConfig> syntheticPreset(const std::string& name);

// Requests with nextAccessIndex filled in.
std::vector<cachelib::Request> generateSynthetic(const SyntheticConfig& config);

}  // namespace edgecache::traces
