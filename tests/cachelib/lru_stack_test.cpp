#include "cachelib/lru_stack.h"

#include <doctest/doctest.h>

#include <vector>

#include "cachelib/policies/lru_policy.h"
#include "tests/cachelib/cache_test_util.h"
#include "traces/prng.h"

using namespace edgecache::cachelib;
using testutil::makeCache;
using testutil::req;

namespace {

// Skewed keys, one size per key: most fit every capacity below, every 61st
// key is larger than all of them (never admitted anywhere).
std::vector<Request> stream(std::size_t n, std::uint64_t keys, std::uint64_t seed) {
  edgecache::traces::Xoshiro256 rng(seed);
  std::vector<Request> out;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = rng.uniform();
    const auto key = static_cast<std::uint64_t>(u * u * double(keys));
    out.push_back(req(key, key % 61 == 0 ? 5'000'000 : 1 + (key * 2654435761u) % 3000));
  }
  return out;
}

}  // namespace

TEST_CASE("the LRU stack gives every capacity the hits of an LRU cache of that size") {
  // Unsorted on purpose: indexes follow the caller's order.
  const std::vector<std::uint64_t> capacities{400'000, 3'000, 50'000, 1'200'000, 9'000};
  LruStack stack(capacities);
  std::vector<std::unique_ptr<Cache>> caches;
  for (std::uint64_t c : capacities) caches.push_back(makeCache(LruPolicy::kId, c));
  const auto requests = stream(200'000, 30'000, 11);
  // Two phases: counts restart after resetStats(), the stack stays warm.
  for (std::size_t phase = 0; phase < 2; ++phase) {
    for (auto& c : caches) c->resetStats();
    stack.resetStats();
    for (std::size_t i = phase * 100'000; i < (phase + 1) * 100'000; ++i) {
      stack.access(requests[i].key, requests[i].sizeBytes);
      for (auto& c : caches) (void)c->access(requests[i]);
    }
    CHECK(stack.requests() == caches[0]->stats().requests);
    CHECK(stack.bytesRequested() == caches[0]->stats().bytesRequested);
    for (std::size_t i = 0; i < capacities.size(); ++i) {
      CAPTURE(capacities[i]);
      CHECK(stack.hits(i) == caches[i]->stats().hits);
      CHECK(stack.bytesHit(i) == caches[i]->stats().bytesHit);
    }
  }
  // It keeps exactly what the largest cache holds (compaction ran many times).
  CHECK(stack.objectCount() == caches[3]->objectCount());
}

TEST_CASE("the LRU stack lists objects from the most recent down") {
  LruStack stack({100});
  for (std::uint64_t k : {1, 2, 3, 2, 4}) stack.access(k, 10);
  std::vector<std::uint64_t> order;
  stack.forEachRecent([&](std::uint64_t key, std::uint64_t bytes) {
    CHECK(bytes == 10);
    order.push_back(key);
    return order.size() < 3;
  });
  CHECK(order == std::vector<std::uint64_t>{4, 2, 3});
  // 11 more objects of 10 B: only the 10 most recent fit in 100 B.
  for (std::uint64_t k = 10; k < 21; ++k) stack.access(k, 10);
  CHECK(stack.objectCount() == 10);
  stack.resetStats();
  stack.access(11, 10);  // the oldest survivor: a hit at exactly 100 B
  stack.access(10, 10);  // dropped: a miss
  CHECK(stack.requests() == 2);
  CHECK(stack.hits(0) == 1);
}
