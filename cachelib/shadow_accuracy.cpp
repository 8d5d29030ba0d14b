#include "cachelib/shadow_accuracy.h"

#include <algorithm>
#include <cmath>

#include "cachelib/policy_registry.h"
#include "cachelib/simulator.h"

namespace edgecache::cachelib {

namespace {

// One tracker (one salt) against the exact per-window results.
ShadowAccuracy compare(std::span<const Request> requests, const WindowConfig& wc,
                       const std::vector<ReplayResult>& exact) {
  const std::size_t points = exact.size();
  // Window by window as WindowedReplay drives the tracker; estimated misses
  // add up over windows, so per-shadow rates that change between windows
  // are accounted for.
  WindowFeatureTracker tracker(wc);
  std::vector<double> missEstimate(points, 0.0), missBytesEstimate(points, 0.0), windowError(points, 0.0);
  std::size_t windows = 0;
  std::uint64_t bytes = 0;
  for (std::size_t begin = 0; begin < requests.size(); begin += wc.requests, ++windows) {
    const std::size_t end = std::min<std::size_t>(requests.size(), begin + wc.requests);
    for (std::size_t i = begin; i < end; ++i) tracker.observe(requests[i], false, i);
    const WindowFeatures f = tracker.close(0, 0, 0, 0);
    bytes += f.bytes;
    for (std::size_t k = 0; k < points; ++k) {
      missEstimate[k] += (1.0 - f.hitRatio[k]) * double(f.requests);
      missBytesEstimate[k] += (1.0 - f.byteHitRatio[k]) * double(f.bytes);
      const CacheStats& e = exact[k].windows[windows];
      const double exactWindow = e.requests ? double(e.misses()) / double(e.requests) : 0.0;
      windowError[k] += std::fabs((1.0 - f.hitRatio[k]) - exactWindow);
    }
  }

  ShadowAccuracy out;
  out.samplingRate = wc.samplingRate;
  out.windows = windows;
  out.samples = 1;
  out.shadowAccessesPerRequest = requests.empty() ? 0.0 : double(tracker.shadowAccesses()) / double(requests.size());
  for (std::size_t k = 0; k < points; ++k) {
    const ReplayResult& e = exact[k];
    ShadowAccuracyPoint pt;
    pt.policy = e.policy;
    pt.capacityBytes = e.cacheBytes;
    pt.exactMissRatio = e.missRatio();
    pt.exactByteMissRatio = e.byteMissRatio();
    pt.estimatedMissRatio = requests.empty() ? 0.0 : missEstimate[k] / double(requests.size());
    pt.estimatedByteMissRatio = bytes ? missBytesEstimate[k] / double(bytes) : 0.0;
    pt.meanAbsWindowError = windows ? windowError[k] / double(windows) : 0.0;
    pt.finalSamplingRate = tracker.shadowSamplingRate(k);
    const double err = std::fabs(pt.estimatedMissRatio - pt.exactMissRatio);
    out.meanAbsError += err;
    out.maxAbsError = std::max(out.maxAbsError, err);
    out.meanAbsByteError += std::fabs(pt.estimatedByteMissRatio - pt.exactByteMissRatio);
    out.meanAbsWindowError += pt.meanAbsWindowError;
    out.points.push_back(pt);
  }
  if (!out.points.empty()) {
    out.meanAbsError /= double(out.points.size());
    out.meanAbsByteError /= double(out.points.size());
    out.meanAbsWindowError /= double(out.points.size());
  }
  return out;
}

}  // namespace

Result<ShadowAccuracy> measureShadowAccuracy(std::span<const Request> requests, const WindowConfig& window,
                                             unsigned samples) {
  WindowConfig wc = window;
  wc.seconds = 0.0;
  if (wc.requests == 0) wc.requests = std::max<std::uint64_t>(1, requests.size());
  if (wc.shadowPolicies.empty())
    for (const PolicyInfo& p : onlinePolicies()) wc.shadowPolicies.push_back(p.id);
  for (PolicyId id : wc.shadowPolicies)
    if (const PolicyInfo* p = findPolicy(id); p == nullptr || p->offline)
      return Result<ShadowAccuracy>::error("policy id " + std::to_string(id) + " is not an online policy");

  GridSpec spec;
  spec.policies = wc.shadowPolicies;
  spec.sizesBytes = wc.capacityGrid;
  spec.windowRequests = wc.requests;
  auto exact = replayGrid(requests, spec);
  if (!exact) return exact.status();

  ShadowAccuracy out = compare(requests, wc, exact.value());
  const std::uint64_t baseSalt = wc.sampleSalt;
  for (unsigned s = 1; s < samples; ++s) {
    wc.sampleSalt = mixKey(baseSalt + s);
    const ShadowAccuracy other = compare(requests, wc, exact.value());
    out.meanAbsError += other.meanAbsError;
    out.maxAbsError += other.maxAbsError;
    out.meanAbsByteError += other.meanAbsByteError;
    out.meanAbsWindowError += other.meanAbsWindowError;
    out.shadowAccessesPerRequest += other.shadowAccessesPerRequest;
  }
  if (samples > 1) {
    out.samples = samples;
    out.meanAbsError /= samples;
    out.maxAbsError /= samples;
    out.meanAbsByteError /= samples;
    out.meanAbsWindowError /= samples;
    out.shadowAccessesPerRequest /= samples;
  }
  return out;
}

}  // namespace edgecache::cachelib
