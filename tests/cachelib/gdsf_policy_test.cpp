#include "cachelib/policies/gdsf_policy.h"

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include <memory>
#include <vector>

#include "cachelib/cache.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

namespace {
std::unique_ptr<Cache> makeGdsf(std::uint64_t capacity) { return testutil::makeCache(GdsfPolicy::kId, capacity); }
const GdsfPolicy& gdsfOf(const Cache& c) { return dynamic_cast<const GdsfPolicy&>(c.policy()); }
}  // namespace

TEST_CASE("GDSF: small frequent objects are kept over a big one") {
  auto c = makeGdsf(100);
  (void)c->access(req(1, 60));  // priority 1/60
  (void)c->access(req(2, 10));
  (void)c->access(req(2, 10));  // 2/10
  (void)c->access(req(3, 10));  // 1/10
  CHECK_FALSE(c->access(req(4, 30)));
  CHECK_FALSE(c->contains(1));
  CHECK(c->contains(2));
  CHECK(c->contains(3));
  CHECK(gdsfOf(*c).agingBase() == doctest::Approx(1.0 / 60));
}

TEST_CASE("GDSF: even a big object that is requested often enough stays") {
  auto c = makeGdsf(100);
  for (int i = 0; i < 8; ++i) (void)c->access(req(1, 60));  // 8/60 > 1/10
  (void)c->access(req(2, 10));
  (void)c->access(req(3, 10));
  (void)c->access(req(4, 10));
  (void)c->access(req(5, 10));         // full: 60 + 4 x 10
  CHECK_FALSE(c->access(req(6, 10)));  // evicts 2 (1/10, oldest among equals)
  CHECK(c->contains(1));
  CHECK_FALSE(c->contains(2));
}

TEST_CASE("GDSF: with equal sizes frequency decides, then recency") {
  GdsfPolicy p;
  p.onCapacityChange(100);
  p.onInsert(0, req(1, 10), 10);
  p.onInsert(1, req(2, 10), 10);
  p.onInsert(2, req(3, 10), 10);
  p.onHit(0, req(1, 10));
  std::vector<SlotId> order;
  p.exportOrder(order);
  CHECK(order == std::vector<SlotId>{1, 2, 0});
  CHECK(p.popVictim() == 1);
  CHECK(p.agingBase() == doctest::Approx(0.1));
  p.onInsert(1, req(4, 10), 10);  // L + 1/10 = 0.2 = slot 0's priority, newer
  CHECK(p.priority(1) == doctest::Approx(0.2));
  CHECK(p.popVictim() == 2);
  CHECK(p.popVictim() == 0);
  CHECK(p.metadataBytesPerObject() == 40);
}
