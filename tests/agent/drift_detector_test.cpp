// agent: the Page-Hinkley drift detector and its per-window signal.
#include <cmath>
#include <limits>

#include <doctest/doctest.h>

#include "agent/action_distribution.h"
#include "agent/drift_detector.h"

using namespace edgecache;
using namespace edgecache::agent;

namespace {

// A seeded stationary stream around `level` with Gaussian noise `sigma`.
struct Stream {
  Rng rng;
  double level, sigma;
  double next() { return level + sigma * rng.normal(); }
};

}  // namespace

TEST_CASE("Page-Hinkley: no alarm on stationary seeded streams") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    CAPTURE(seed);
    PageHinkley ph;
    Stream s{Rng(seed), 0.4, 0.015};  // the presets' window-to-window noise
    int alarms = 0;
    for (int i = 0; i < 5'000; ++i) alarms += ph.add(s.next()) ? 1 : 0;
    CHECK(alarms == 0);
    CHECK(ph.samples() == 5'000);
    CHECK(ph.mean() == doctest::Approx(0.4).epsilon(0.01));
  }
}

TEST_CASE("Page-Hinkley: fires soon after a phase change, up or down, then restarts") {
  for (double step : {+0.1, -0.1, +0.3}) {
    CAPTURE(step);
    PageHinkley ph;
    Stream s{Rng(11), 0.4, 0.015};
    for (int i = 0; i < 200; ++i) REQUIRE_FALSE(ph.add(s.next()));
    s.level += step;
    int firedAfter = -1;
    for (int i = 0; i < 50 && firedAfter < 0; ++i)
      if (ph.add(s.next())) firedAfter = i + 1;
    CHECK(firedAfter >= 1);
    CHECK(firedAfter <= 5);
    CHECK(ph.samples() == 0);  // restarted
    // The new level is the new normal: no further alarms.
    int more = 0;
    for (int i = 0; i < 1'000; ++i) more += ph.add(s.next()) ? 1 : 0;
    CHECK(more == 0);
  }
}

TEST_CASE("Page-Hinkley: non-finite samples are ignored; no alarm before minSamples") {
  PageHinkley ph(PageHinkleyConfig{0.01, 0.2, 4});
  CHECK_FALSE(ph.add(std::numeric_limits<double>::quiet_NaN()));
  CHECK_FALSE(ph.add(std::numeric_limits<double>::infinity()));
  CHECK(ph.samples() == 0);
  CHECK_FALSE(ph.add(0.0));
  CHECK_FALSE(ph.add(1.0));  // a huge jump, but only two samples
  CHECK_FALSE(ph.add(1.0));
  CHECK(ph.add(1.0));        // fourth sample: the evidence counts now
}

TEST_CASE("drift signal: what-if miss ratio of the first policy at the middle capacity; NaN without what-ifs") {
  cachelib::WindowFeatures f;
  CHECK(std::isnan(windowDriftSignal(f)));
  f.policies = {0, 1};
  f.capacities = {10, 20, 40};
  f.hitRatio = {0.1, 0.3, 0.5, 0.2, 0.4, 0.6};
  f.byteHitRatio = f.hitRatio;
  f.sampledRequests = 0;
  CHECK(std::isnan(windowDriftSignal(f)));  // nothing sampled
  f.sampledRequests = 100;
  CHECK(windowDriftSignal(f) == doctest::Approx(0.7));
  f.hitRatio.resize(2);  // malformed: never read out of bounds
  CHECK(std::isnan(windowDriftSignal(f)));
}
