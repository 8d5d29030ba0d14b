#include "cachelib/cache.h"

#include <doctest/doctest.h>

#include "cachelib/policy_registry.h"

using namespace edgecache::cachelib;

namespace {
Request req(std::uint64_t key, std::uint64_t size) {
  Request r;
  r.key = key;
  r.sizeBytes = size;
  return r;
}
std::unique_ptr<Cache> makeCache(std::string_view policy, std::uint64_t capacity) {
  CacheConfig cfg;
  cfg.capacityBytes = capacity;
  cfg.policy = findPolicy(policy)->id;
  auto c = Cache::create(cfg);
  REQUIRE(c.isOk());
  return std::move(c.value());
}
}  // namespace

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
