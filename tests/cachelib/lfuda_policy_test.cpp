#include "cachelib/policies/lfuda_policy.h"

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include <memory>
#include <vector>

#include "cachelib/cache.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

namespace {
std::unique_ptr<Cache> makeLfuda(std::uint64_t capacity) { return testutil::makeCache(LfudaPolicy::kId, capacity); }
const LfudaPolicy& lfudaOf(const Cache& c) { return dynamic_cast<const LfudaPolicy&>(c.policy()); }
}  // namespace

TEST_CASE("LFUDA: among equal priorities the least recently used goes first") {
  auto c = makeLfuda(20);
  (void)c->access(req(1, 10));
  (void)c->access(req(2, 10));
  (void)c->access(req(3, 10));  // 1 and 2 both at priority 1: 1 is older
  CHECK_FALSE(c->contains(1));
  CHECK(c->contains(2));
}

TEST_CASE("LFUDA: a frequent object survives a scan, then ages out") {
  auto c = makeLfuda(30);
  const LfudaPolicy& lfuda = lfudaOf(*c);
  for (int i = 0; i < 3; ++i) (void)c->access(req(1, 10));  // priority 3
  for (std::uint64_t k = 2; k <= 7; ++k) CHECK_FALSE(c->access(req(k, 10)));
  // Victims 2, 3 (L = 1), 4, 5 (L = 2): the scan keys admitted after the
  // first eviction start at L + 1 and climb with it.
  CHECK(c->contains(1));
  for (std::uint64_t k = 2; k <= 5; ++k) CHECK_FALSE(c->contains(k));
  CHECK(lfuda.agingBase() == 2);
  // Now 6 and 7 entered at priority L + 1 = 3, equal to 1's: plain LFU would
  // keep 1 forever; with aging the older of the three leaves.
  CHECK_FALSE(c->access(req(8, 10)));
  CHECK_FALSE(c->contains(1));
  CHECK(lfuda.agingBase() == 3);
}

TEST_CASE("LFUDA: a hit recomputes the priority from the current L") {
  LfudaPolicy p;
  p.onCapacityChange(100);
  p.onInsert(0, req(1, 10), 10);
  p.onInsert(1, req(2, 10), 10);
  CHECK(p.popVictim() == 0);  // L = 1
  p.onInsert(2, req(3, 10), 10);
  CHECK(p.priority(2) == 2);
  p.onHit(1, req(2, 10));  // f = 2: L + 2
  CHECK(p.priority(1) == 3);
  std::vector<SlotId> order;
  p.exportOrder(order);
  CHECK(order == std::vector<SlotId>{2, 1});
  CHECK(p.metadataBytesPerObject() == 32);
}
