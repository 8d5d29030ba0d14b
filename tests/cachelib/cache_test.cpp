#include "cachelib/cache.h"

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include "cachelib/policy_registry.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

TEST_CASE("LRU evicts the least recently used object") {
  auto c = makeCache("lru", 30);
  CHECK_FALSE(c->access(req(1, 10)));
  CHECK_FALSE(c->access(req(2, 10)));
  CHECK_FALSE(c->access(req(3, 10)));
  CHECK(c->access(req(1, 10)));      // 1 becomes most recent
  CHECK_FALSE(c->access(req(4, 10)));  // evicts 2
  CHECK(c->contains(1));
  CHECK_FALSE(c->contains(2));
  CHECK(c->usedBytes() == 30);
  CHECK(c->stats().evictions == 1);
  CHECK(c->stats().hits == 1);
  CHECK(c->stats().missBytes() == 40);
}

TEST_CASE("an object larger than the capacity is not admitted") {
  auto c = makeCache("lru", 30);
  c->access(req(1, 10));
  CHECK_FALSE(c->access(req(2, 31)));
  CHECK_FALSE(c->contains(2));
  CHECK(c->contains(1));  // nothing evicted for it
}
