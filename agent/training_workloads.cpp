#include "agent/training_workloads.h"

#include <algorithm>
#include <cmath>

#include "traces/prng.h"

namespace edgecache::agent {

namespace {

class Draw {
 public:
  explicit Draw(std::uint64_t seed) : gen_(seed ^ 0x776f726b6c6f6164ull) {}  // "workload"
  double uniform(double lo, double hi) { return lo + (hi - lo) * gen_.uniform(); }
  double logUniform(double lo, double hi) {
    lo = std::max(lo, 1e-12);
    hi = std::max(hi, lo);
    return std::exp(uniform(std::log(lo), std::log(hi)));
  }
  std::uint64_t logUniformInt(std::uint64_t lo, std::uint64_t hi) {
    return std::uint64_t(std::llround(logUniform(double(std::max<std::uint64_t>(1, lo)), double(std::max(lo, hi)))));
  }
  std::uint64_t below(std::uint64_t n) { return n ? gen_.next() % n : 0; }

 private:
  traces::Xoshiro256 gen_;
};

std::uint64_t capWindow(std::uint64_t window, std::uint64_t requests) {
  return std::max<std::uint64_t>(1, std::min(window, requests / kMinWindowsPerEpisode));
}

}  // namespace

SampledWorkload sampleWorkload(const traces::SyntheticConfig& preset, const WorkloadRandomization& r,
                               std::uint64_t seed) {
  Draw d(seed);
  SampledWorkload w;
  traces::SyntheticConfig& c = w.config;
  c = preset;
  // Generator seeds come from the episode seed; 42 is the bench's evaluation
  // seed and is never drawn.
  std::uint64_t state = seed;
  c.seed = traces::splitMix64(state);
  if (c.seed == 42) c.seed = 43;
  c.requests = d.logUniformInt(r.minRequests, r.maxRequests);
  const std::uint64_t objectsBefore = std::max<std::uint64_t>(1, preset.objects);
  c.objects = d.logUniformInt(r.minObjects, r.maxObjects);
  c.zipfAlpha = d.uniform(r.minZipfAlpha, r.maxZipfAlpha);
  c.sizeMu = d.uniform(r.minSizeMu, r.maxSizeMu);
  c.sizeSigma = d.uniform(r.minSizeSigma, r.maxSizeSigma);
  c.meanRequestsPerSecond = d.logUniform(r.minRequestsPerSecond, r.maxRequestsPerSecond);
  c.rateAmplitude = d.uniform(r.minRateAmplitude, r.maxRateAmplitude);
  const double seconds = double(c.requests) / c.meanRequestsPerSecond;
  c.ratePeriodSeconds = seconds / d.logUniform(r.minRatePeriods, r.maxRatePeriods);
  // Drift rescaled to the episode: the same number of rotations over the
  // trace, by the same share of the catalogue.
  const double lengthScale = double(c.requests) / double(std::max<std::uint64_t>(1, preset.requests));
  c.rotateEveryRequests =
      std::max<std::uint64_t>(1, std::uint64_t(std::llround(double(preset.rotateEveryRequests) * lengthScale)));
  c.rotateShift = std::max<std::uint64_t>(
      1, std::uint64_t(std::llround(double(preset.rotateShift) * double(c.objects) / double(objectsBefore))));
  w.windowRequests = capWindow(d.logUniformInt(r.minWindowRequests, r.maxWindowRequests), c.requests);
  c.oneHitShare = d.uniform(r.minOneHitShare, r.maxOneHitShare);
  return w;
}

std::uint64_t windowForTrace(std::uint64_t traceRequests, std::uint64_t windowRequests) noexcept {
  std::uint64_t w = std::max<std::uint64_t>(1, windowRequests);
  while (w >= 10 && traceRequests < w) w /= 10;
  return w;
}

TraceSegment sampleTraceSegment(std::uint64_t traceRequests, const WorkloadRandomization& r,
                                std::uint64_t seed) noexcept {
  TraceSegment s;
  Draw d(seed);
  const std::uint64_t half = (traceRequests + 1) / 2;
  const std::uint64_t length = half + d.below(traceRequests - half + 1);
  s.begin = d.below(traceRequests - length + 1);
  s.end = s.begin + length;
  s.windowRequests = capWindow(d.logUniformInt(r.minWindowRequests, r.maxWindowRequests), length);
  return s;
}

std::string traceGroup(const std::string& path) {
  const std::string name = path.substr(path.find_last_of('/') + 1);
  return name.substr(0, name.find('.'));
}

cachelib::Result<std::vector<std::string>> foldTrainingTraces(const std::vector<std::string>& traces,
                                                              const std::vector<std::string>& heldOut) {
  using R = cachelib::Result<std::vector<std::string>>;
  std::vector<std::string> groups;
  for (const auto& h : heldOut) {
    const std::string g = traceGroup(h);
    if (g.empty() || std::none_of(traces.begin(), traces.end(), [&](const auto& t) { return traceGroup(t) == g; }))
      return R::error("--hold-out " + h + ": matches none of the --trace files (group '" + g + "')");
    groups.push_back(g);
  }
  std::vector<std::string> kept;
  for (const auto& t : traces)
    if (std::find(groups.begin(), groups.end(), traceGroup(t)) == groups.end()) kept.push_back(t);
  return kept;
}

}  // namespace edgecache::agent
