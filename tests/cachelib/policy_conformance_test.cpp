// The conformance suite every registered policy runs through automatically:
// a new registry row is tested here without touching this file.
//
// A slow reference model tracks the resident set independently of the cache
// (the policy is a black box that only picks victims): hits must be exactly
// the keys the model holds, admissions follow the size rule, evictions
// reported by the listener are the only removals, and byte accounting is
// recomputed from scratch after every operation.

#include <doctest/doctest.h>

#include "tests/cachelib/cache_test_util.h"

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "cachelib/cache.h"
#include "cachelib/policy_registry.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

namespace {

struct Reference {
  std::map<std::uint64_t, std::uint64_t> resident;  // key -> object bytes
  std::vector<std::uint64_t> evicted;
};

void checkSame(const Cache& cache, const Reference& ref, std::uint32_t metadata) {
  std::map<std::uint64_t, std::uint64_t> actual;
  cache.forEachObject([&](std::uint64_t k, std::uint64_t s) { actual[k] = s; });
  REQUIRE(actual == ref.resident);
  std::uint64_t bytes = 0;
  for (const auto& [k, s] : actual) bytes += s + metadata;
  REQUIRE(cache.usedBytes() == bytes);
  REQUIRE(cache.objectCount() == actual.size());
  REQUIRE(cache.usedBytes() <= cache.capacityBytes());
}


// Runs `ops` random operations against one policy; returns hits observed.
void randomizedRun(PolicyId policy, std::uint32_t seed, int ops, std::uint32_t metadata) {
  std::mt19937_64 rng(seed);
  CacheConfig cfg;
  cfg.policy = policy;
  cfg.capacityBytes = 4000;
  cfg.metadataBytesPerObject = metadata;
  auto made = Cache::create(cfg);
  REQUIRE(made.isOk());
  Cache& cache = *made.value();
  Reference ref;
  cache.setEvictionListener([&](std::uint64_t k, std::uint64_t s) {
    REQUIRE(ref.resident.count(k) == 1);
    REQUIRE(ref.resident[k] == s);
    ref.resident.erase(k);
    ref.evicted.push_back(k);
  });
  std::vector<std::uint64_t> sizeOf(200);
  for (auto& s : sizeOf) s = 1 + rng() % 300;
  const auto& online = onlinePolicies();
  for (int i = 0; i < ops; ++i) {
    const std::uint64_t dice = rng() % 100;
    if (dice < 85) {
      // Skewed key choice so there are hits.
      const std::uint64_t key = (rng() % 4 == 0) ? rng() % 200 : rng() % 20;
      const bool wasResident = ref.resident.count(key) == 1;
      const std::uint64_t evictionsBefore = cache.stats().evictions;
      const bool hit = cache.access(req(key, sizeOf[key], static_cast<std::int64_t>(rng() % 1000)));
      REQUIRE(hit == wasResident);
      if (!hit && sizeOf[key] + metadata <= cache.capacityBytes()) ref.resident[key] = sizeOf[key];
      if (hit || sizeOf[key] + metadata > cache.capacityBytes()) REQUIRE(cache.stats().evictions == evictionsBefore);
    } else if (dice < 90) {
      const std::uint64_t newCap = 100 + rng() % 8000;
      const std::uint64_t usedBefore = cache.usedBytes();
      const std::size_t countBefore = ref.resident.size();
      cache.resize(newCap);
      if (newCap >= usedBefore) REQUIRE(ref.resident.size() == countBefore);  // growing keeps everything
    } else if (dice < 95 && policy != findPolicy("belady")->id) {
      // Switch to a random online policy and back later: every object survives.
      const PolicyId to = online[rng() % online.size()].id;
      const std::size_t countBefore = ref.resident.size();
      REQUIRE(cache.setPolicy(to).isOk());
      REQUIRE(cache.policyId() == to);
      REQUIRE(ref.resident.size() == countBefore);
    } else {
      const std::uint64_t key = rng() % 200;
      const bool wasResident = ref.resident.erase(key) == 1;
      REQUIRE(cache.erase(key) == wasResident);
    }
    checkSame(cache, ref, metadata);
  }
  CHECK(cache.stats().hits > 0);
  CHECK(cache.stats().evictions > 0);
}

}  // namespace

TEST_CASE("every policy: randomized operations agree with the reference model") {
  for (const PolicyInfo& p : policyRegistry()) {
    CAPTURE(p.name);
    for (std::uint32_t seed = 1; seed <= 3; ++seed) randomizedRun(p.id, seed, 3000, seed == 3 ? 40 : 0);
  }
}

TEST_CASE("every policy: resize down evicts to fit, resize up keeps everything") {
  for (const PolicyInfo& p : policyRegistry()) {
    CAPTURE(p.name);
    CacheConfig cfg;
    cfg.policy = p.id;
    cfg.capacityBytes = 1000;
    auto cache = std::move(Cache::create(cfg).value());
    for (std::uint64_t k = 0; k < 200; ++k) (void)cache->access(req(k % 50, 10 + k % 7, static_cast<std::int64_t>(k + 50)));
    const auto objects = cache->objectCount();
    REQUIRE(objects > 0);
    cache->resize(5000);
    CHECK(cache->objectCount() == objects);
    cache->resize(100);
    CHECK(cache->usedBytes() <= 100);
    CHECK(cache->objectCount() > 0);
    cache->resize(0);
    CHECK(cache->objectCount() == 0);
    CHECK(cache->usedBytes() == 0);
    CHECK_FALSE(cache->access(req(1, 1)));  // zero capacity admits nothing
    CHECK(cache->objectCount() == 0);
    cache->resize(1000);
    CHECK_FALSE(cache->access(req(1, 1)));
    CHECK(cache->access(req(1, 1)));
  }
}

TEST_CASE("every online policy: a hot switch keeps all objects and the new policy evicts them in order") {
  for (const PolicyInfo& from : onlinePolicies()) {
    for (const PolicyInfo& to : onlinePolicies()) {
      CAPTURE(from.name);
      CAPTURE(to.name);
      CacheConfig cfg;
      cfg.policy = from.id;
      cfg.capacityBytes = 500;
      auto cache = std::move(Cache::create(cfg).value());
      std::mt19937_64 rng(7);
      for (int i = 0; i < 2000; ++i) {
        const std::uint64_t k = rng() % 3 == 0 ? rng() % 100 : rng() % 10;
        (void)cache->access(req(k, 10));
      }
      std::map<std::uint64_t, std::uint64_t> before;
      cache->forEachObject([&](std::uint64_t k, std::uint64_t s) { before[k] = s; });
      const auto used = cache->usedBytes();
      REQUIRE(cache->setPolicy(to.id).isOk());
      std::map<std::uint64_t, std::uint64_t> after;
      cache->forEachObject([&](std::uint64_t k, std::uint64_t s) { after[k] = s; });
      CHECK(after == before);
      CHECK(cache->usedBytes() == used);
      // The switched-in policy must be able to evict every seeded object.
      cache->resize(0);
      CHECK(cache->objectCount() == 0);
    }
  }
}

TEST_CASE("unknown policy ids are refused without changing the cache") {
  CacheConfig cfg;
  cfg.policy = 9999;
  CHECK_FALSE(Cache::create(cfg).isOk());
  cfg.policy = 0;
  auto cache = std::move(Cache::create(cfg).value());
  (void)cache->access(req(1, 10));
  const Status st = cache->setPolicy(9999);
  CHECK_FALSE(st.isOk());
  CHECK(st.message().find("unknown policy id 9999") != std::string::npos);
  CHECK(cache->policyId() == 0);
  CHECK(cache->contains(1));
}
