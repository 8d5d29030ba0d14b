#include "cachelib/simulator.h"

#include <doctest/doctest.h>

#include <vector>

#include "cachelib/policies/lru_policy.h"
#include "tests/cachelib/cache_test_util.h"

using namespace edgecache::cachelib;
using testutil::req;

TEST_CASE("a grid replay records per-window stats that add up to the run's") {
  std::vector<Request> requests;
  for (std::uint64_t i = 0; i < 2'500; ++i) requests.push_back(req((i * 7) % 101, 10 + i % 13));
  GridSpec spec;
  spec.policies = {LruPolicy::kId, findPolicy("fifo")->id};
  spec.sizesBytes = {200, 600};
  spec.windowRequests = 1'000;
  spec.threads = 2;
  auto results = replayGrid(requests, spec);
  REQUIRE(results.isOk());
  for (const ReplayResult& r : results.value()) {
    REQUIRE(r.windows.size() == 3);  // 1000, 1000, 500
    CacheStats sum;
    for (const CacheStats& w : r.windows) {
      sum.requests += w.requests;
      sum.hits += w.hits;
      sum.bytesRequested += w.bytesRequested;
      sum.bytesHit += w.bytesHit;
    }
    CHECK(r.windows[0].requests == 1'000);
    CHECK(r.windows[2].requests == 500);
    CHECK(sum.requests == r.stats.requests);
    CHECK(sum.hits == r.stats.hits);
    CHECK(sum.bytesRequested == r.stats.bytesRequested);
    CHECK(sum.bytesHit == r.stats.bytesHit);
  }
  spec.windowRequests = 0;
  CHECK(replayGrid(requests, spec).value()[0].windows.empty());
}
