#include "cachelib/policies/belady_policy.h"

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include <memory>
#include <vector>

#include "cachelib/cache.h"
#include "cachelib/policy_registry.h"

using namespace edgecache::cachelib;
using testutil::makeCache;

namespace {
Request req(std::uint64_t key, std::int64_t next) {
  Request r;
  r.key = key;
  r.sizeBytes = 10;
  r.nextAccessIndex = next;
  return r;
}
std::unique_ptr<Cache> makeBelady(std::uint64_t capacity) { return testutil::makeCache(BeladyPolicy::kId, capacity); }
}  // namespace

TEST_CASE("Belady: evicts the object whose next access is farthest") {
  auto c = makeBelady(30);
  (void)c->access(req(1, 10));
  (void)c->access(req(2, 5));
  (void)c->access(req(3, 20));
  CHECK_FALSE(c->access(req(4, 6)));
  CHECK_FALSE(c->contains(3));
  CHECK_FALSE(c->access(req(5, 7)));  // 1 (10) is now the farthest
  CHECK_FALSE(c->contains(1));
  CHECK(c->contains(2));
  CHECK(c->contains(4));
}

TEST_CASE("Belady: an object never requested again counts as infinitely far") {
  auto c = makeBelady(30);
  (void)c->access(req(1, kNoNextAccess));
  (void)c->access(req(2, 1000000));
  (void)c->access(req(3, 50));
  CHECK_FALSE(c->access(req(4, 60)));
  CHECK_FALSE(c->contains(1));
  CHECK(c->contains(2));
}

TEST_CASE("Belady: a hit takes the next access of the hitting request") {
  auto c = makeBelady(20);
  (void)c->access(req(1, 3));
  (void)c->access(req(2, 100));
  CHECK(c->access(req(1, kNoNextAccess)));  // 1 is never requested again
  CHECK_FALSE(c->access(req(3, 4)));
  CHECK_FALSE(c->contains(1));
  CHECK(c->contains(2));
}

TEST_CASE("Belady: ties go to the older object; registered as offline") {
  BeladyPolicy p;
  p.onInsert(0, req(1, kNoNextAccess), 10);
  p.onInsert(1, req(2, kNoNextAccess), 10);
  p.onInsert(2, req(3, 7), 10);
  std::vector<SlotId> order;
  p.exportOrder(order);
  CHECK(order == std::vector<SlotId>{0, 1, 2});
  CHECK(p.popVictim() == 0);
  CHECK(p.metadataBytesPerObject() == 28);
  const PolicyInfo* info = findPolicy("belady");
  REQUIRE(info != nullptr);
  CHECK(info->offline);
  CHECK(info->id == BeladyPolicy::kId);
}
