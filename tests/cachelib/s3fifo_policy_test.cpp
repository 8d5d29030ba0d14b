#include "cachelib/policies/s3fifo_policy.h"

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include <memory>

#include "cachelib/cache.h"
#include "cachelib/policies/lru_policy.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

namespace {
const S3FifoPolicy& s3Of(const Cache& c) { return dynamic_cast<const S3FifoPolicy&>(c.policy()); }
}  // namespace

TEST_CASE("S3-FIFO: queue sizes follow the capacity") {
  auto c = makeCache(S3FifoPolicy::kId, 1000);
  CHECK(s3Of(*c).smallCapacityBytes() == 100);
  c->resize(55);
  CHECK(s3Of(*c).smallCapacityBytes() == 5);
}

TEST_CASE("S3-FIFO: a one-hit wonder leaves small for the ghost, an object hit twice moves to main") {
  auto c = makeCache(S3FifoPolicy::kId, 100);
  const S3FifoPolicy& s3 = s3Of(*c);
  for (std::uint64_t k = 0; k < 10; ++k) CHECK_FALSE(c->access(req(k, 10)));  // all in small
  CHECK(c->access(req(0, 10)));
  CHECK(c->access(req(0, 10)));  // 0: frequency 2
  CHECK(c->access(req(1, 10)));  // 1: frequency 1
  CHECK(s3.mainBytes() == 0);
  CHECK_FALSE(c->access(req(10, 10)));  // full: evict from small
  CHECK(c->contains(0));                // moved to main
  CHECK(s3.mainBytes() == 10);
  CHECK_FALSE(c->contains(1));  // below the threshold: evicted...
  CHECK(s3.isGhost(1));         // ...and remembered
  CHECK(c->contains(2));

  // A ghost hit is admitted straight to main (evicting 2 from small).
  CHECK_FALSE(c->access(req(1, 10)));
  CHECK_FALSE(s3.isGhost(1));
  CHECK(s3.mainBytes() == 20);
  CHECK_FALSE(c->contains(2));
  CHECK(s3.isGhost(2));
}

TEST_CASE("S3-FIFO: main is a 2-bit Clock (frequency capped at 3)") {
  auto c = makeCache(S3FifoPolicy::kId, 100);
  const S3FifoPolicy& s3 = s3Of(*c);
  for (std::uint64_t k = 0; k < 10; ++k) (void)c->access(req(k, 10));
  for (int i = 0; i < 2; ++i) (void)c->access(req(0, 10));
  (void)c->access(req(10, 10));  // 0 -> main (frequency reset), 1 evicted
  for (int i = 0; i < 5; ++i) CHECK(c->access(req(0, 10)));
  // Main over its share: an eviction from main must pass over 0 (frequency
  // 3 -> 2) rather than evict it. Force main evictions by filling main from
  // the ghost.
  CHECK_FALSE(c->access(req(1, 10)));  // ghost hit -> main = {1, 0}; 2 evicted from small
  CHECK(s3.mainBytes() == 20);
  c->resize(20);  // main share 18 < 20 bytes in main: the first eviction is from main
  CHECK(c->contains(0));        // frequency 3 -> 2, reinserted
  CHECK_FALSE(c->contains(1));  // frequency 0: the main victim
  CHECK(s3.mainBytes() == 10);
  CHECK(c->contains(10));  // small's newest survives; 3..9 were evicted
  CHECK(s3.smallBytes() == 10);
  CHECK(c->usedBytes() == 20);
}

TEST_CASE("S3-FIFO: a hot switch puts the hottest ~90% of the bytes in main") {
  auto c = makeCache(LruPolicy::kId, 100);
  for (std::uint64_t k = 0; k < 10; ++k) (void)c->access(req(k, 10));
  (void)c->access(req(0, 10));  // LRU order now 1 (coldest) .. 9, 0
  REQUIRE(c->setPolicy(S3FifoPolicy::kId).isOk());
  const S3FifoPolicy& s3 = s3Of(*c);
  CHECK(s3.smallBytes() == 10);
  CHECK(s3.mainBytes() == 90);
  CHECK_FALSE(c->access(req(42, 10)));  // evicts the coldest, which is in small
  CHECK_FALSE(c->contains(1));
  CHECK(s3.metadataBytesPerObject() == 26);
}
