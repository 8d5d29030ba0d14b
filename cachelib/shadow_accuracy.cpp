#include "cachelib/shadow_accuracy.h"

#include <algorithm>
#include <cmath>

#include "cachelib/simulator.h"
#include "cachelib/window_features.h"

namespace edgecache::cachelib {

Result<ShadowAccuracy> measureShadowAccuracy(std::span<const Request> requests, const std::vector<PolicyId>& policies,
                                             const std::vector<std::uint64_t>& capacities, double samplingRate) {
  GridSpec spec;
  spec.policies = policies;
  spec.sizesBytes = capacities;
  auto exact = replayGrid(requests, spec);
  if (!exact) return exact.status();

  WindowConfig wc;
  wc.samplingRate = samplingRate;
  wc.capacityGrid = capacities;
  wc.shadowPolicies = policies;
  WindowFeatureTracker tracker(wc);
  for (std::size_t i = 0; i < requests.size(); ++i) tracker.observe(requests[i], false, i);
  const WindowFeatures f = tracker.close(0, 0, 0, 0);

  ShadowAccuracy out;
  out.samplingRate = samplingRate;
  for (std::size_t p = 0; p < policies.size(); ++p) {
    for (std::size_t c = 0; c < capacities.size(); ++c) {
      const ReplayResult& e = exact.value()[p * capacities.size() + c];
      ShadowAccuracyPoint pt;
      pt.policy = policies[p];
      pt.capacityBytes = capacities[c];
      pt.exactMissRatio = e.missRatio();
      pt.exactByteMissRatio = e.byteMissRatio();
      pt.estimatedMissRatio = 1.0 - f.hitRatio[p * capacities.size() + c];
      pt.estimatedByteMissRatio = 1.0 - f.byteHitRatio[p * capacities.size() + c];
      const double err = std::fabs(pt.estimatedMissRatio - pt.exactMissRatio);
      out.meanAbsError += err;
      out.maxAbsError = std::max(out.maxAbsError, err);
      out.meanAbsByteError += std::fabs(pt.estimatedByteMissRatio - pt.exactByteMissRatio);
      out.points.push_back(pt);
    }
  }
  if (!out.points.empty()) {
    out.meanAbsError /= double(out.points.size());
    out.meanAbsByteError /= double(out.points.size());
  }
  return out;
}

}  // namespace edgecache::cachelib
