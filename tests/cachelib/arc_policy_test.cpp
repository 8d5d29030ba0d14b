#include "cachelib/policies/arc_policy.h"

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include <memory>
#include <vector>

#include "cachelib/cache.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

namespace {
std::unique_ptr<Cache> makeArc(std::uint64_t capacity) { return testutil::makeCache(ArcPolicy::kId, capacity); }
const ArcPolicy& arcOf(const Cache& c) { return dynamic_cast<const ArcPolicy&>(c.policy()); }

// T1 = {3, 2 (LRU)}... built so that 2 is evicted from T1 into B1:
// 1 and 2 admitted, 1 hit (T2), 3 and 4 admitted, then 5 evicts 2.
void buildOneB1Ghost(Cache& c) {
  for (std::uint64_t k : {1, 2}) REQUIRE_FALSE(c.access(req(k, 10)));
  REQUIRE(c.access(req(1, 10)));
  for (std::uint64_t k : {3, 4, 5}) REQUIRE_FALSE(c.access(req(k, 10)));
}
}  // namespace

TEST_CASE("ARC: a second request promotes from T1 to T2") {
  auto c = makeArc(100);
  (void)c->access(req(1, 10));
  (void)c->access(req(2, 10));
  CHECK(arcOf(*c).t1Bytes() == 20);
  CHECK(c->access(req(1, 10)));
  CHECK(arcOf(*c).t1Bytes() == 10);
  CHECK(arcOf(*c).t2Bytes() == 10);
}

TEST_CASE("ARC: with T1 over its target the LRU end of T1 goes first and becomes a B1 ghost") {
  auto c = makeArc(40);
  buildOneB1Ghost(*c);
  CHECK_FALSE(c->contains(2));
  CHECK(c->contains(1));  // in T2, protected while |T1| > p
  CHECK(c->contains(3));
  CHECK(arcOf(*c).b1Bytes() == 10);
  CHECK(arcOf(*c).b2Bytes() == 0);
}

TEST_CASE("ARC: a ghost hit in B1 grows p and readmits into T2") {
  auto c = makeArc(40);
  buildOneB1Ghost(*c);
  const ArcPolicy& arc = arcOf(*c);
  CHECK(arc.targetT1Bytes() == 0.0);
  CHECK_FALSE(c->access(req(2, 10)));  // miss, but 2 is in B1
  // delta = max(|B2| / |B1|, 1) = 1 byte.
  CHECK(arc.targetT1Bytes() == 1.0);
  CHECK(c->contains(2));
  CHECK_FALSE(c->contains(3));     // victim: T1's LRU end
  CHECK(arc.t2Bytes() == 20);      // 1 and 2
  CHECK(arc.b1Bytes() == 10);      // 3 replaced 2 in B1
}

TEST_CASE("ARC: a ghost hit in B2 shrinks p") {
  auto c = makeArc(40);
  buildOneB1Ghost(*c);
  const ArcPolicy& arc = arcOf(*c);
  (void)c->access(req(2, 10));  // B1 hit: p = 1; T1 = {5, 4}, T2 = {2, 1}
  REQUIRE(arc.targetT1Bytes() == 1.0);
  CHECK(c->access(req(4, 10)));
  CHECK(c->access(req(5, 10)));  // T1 empty, T2 = {5, 4, 2, 1}
  CHECK(arc.t1Bytes() == 0);
  CHECK_FALSE(c->access(req(6, 10)));  // victim from T2 (T1 empty): 1 -> B2
  CHECK_FALSE(c->contains(1));
  CHECK(arc.b2Bytes() == 10);
  CHECK_FALSE(c->access(req(1, 10)));  // B2 hit: p -= max(|B1| / |B2|, 1) = 1
  CHECK(arc.targetT1Bytes() == 0.0);
  CHECK(c->contains(1));
}

TEST_CASE("ARC: objects requested twice survive a scan of one-time keys") {
  auto c = makeArc(100);
  for (std::uint64_t k = 1; k <= 5; ++k) {
    (void)c->access(req(k, 10));
    (void)c->access(req(k, 10));
  }
  for (std::uint64_t k = 100; k < 300; ++k) CHECK_FALSE(c->access(req(k, 10)));
  for (std::uint64_t k = 1; k <= 5; ++k) CHECK(c->contains(k));
  CHECK(c->usedBytes() == 100);
}

TEST_CASE("ARC: exportOrder lists T1 before T2 while T1 is over target; metadata is 25 bytes") {
  ArcPolicy arc;
  arc.onCapacityChange(100);
  for (SlotId s = 0; s < 3; ++s) arc.onInsert(s, req(s + 10, 10), 10);
  arc.onHit(0, req(10, 10));  // slot 0 -> T2
  std::vector<SlotId> order;
  arc.exportOrder(order);
  CHECK(order == std::vector<SlotId>{1, 2, 0});
  CHECK(arc.popVictim() == 1);
  CHECK(arc.metadataBytesPerObject() == 25);
}
