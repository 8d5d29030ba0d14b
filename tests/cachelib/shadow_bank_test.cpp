#include "cachelib/shadow_bank.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "cachelib/cache.h"
#include "cachelib/lru_stack.h"
#include "cachelib/policies/lru_policy.h"
#include "tests/cachelib/cache_test_util.h"
#include "cachelib/policy_registry.h"
#include "traces/prng.h"

using namespace edgecache::cachelib;

namespace {

// A skewed random stream with a few objects too large for the small shadows.
std::vector<Request> stream(std::size_t n, std::uint64_t keys, std::uint64_t seed) {
  edgecache::traces::Xoshiro256 rng(seed);
  std::vector<Request> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    // Square of a uniform draw: low keys are requested much more often.
    const double u = rng.uniform();
    const std::uint64_t key = static_cast<std::uint64_t>(u * u * double(keys));
    Request r;
    r.key = key * 7919 + 3;
    r.sizeBytes = 1 + (key * 2654435761u) % 5000 + (key % 97 == 0 ? 200'000 : 0);
    r.timeSeconds = double(i);
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("a shadow bank gives every shadow exactly the statistics of a Cache with its policy and capacity") {
  const std::vector<std::uint64_t> capacities{20'000, 150'000, 1'000'000, 4'000'000};
  std::vector<ShadowBank::Spec> specs;
  std::vector<std::unique_ptr<Cache>> reference;
  for (const PolicyInfo& p : onlinePolicies()) {
    for (std::uint64_t cap : capacities) {
      specs.push_back({p.id, cap});
      CacheConfig cc;
      cc.policy = p.id;
      cc.capacityBytes = cap;
      reference.push_back(std::move(Cache::create(cc).value()));
    }
  }
  ShadowBank bank(specs, kSampleHashRange);
  const auto requests = stream(60'000, 20'000, 7);
  // Uneven batch sizes, including batches of one.
  std::size_t pos = 0, step = 1;
  while (pos < requests.size()) {
    const std::size_t n = std::min(step, requests.size() - pos);
    bank.access(std::span<const Request>(requests).subspan(pos, n));
    pos += n;
    step = step * 3 % 1031 + 1;
  }
  for (auto& c : reference)
    for (const Request& r : requests) (void)c->access(r);

  for (std::size_t i = 0; i < specs.size(); ++i) {
    CAPTURE(findPolicy(specs[i].policy)->name);
    CAPTURE(specs[i].capacityBytes);
    REQUIRE(bank.valid(i));
    CHECK(bank.stats(i).hits == reference[i]->stats().hits);
    CHECK(bank.stats(i).bytesHit == reference[i]->stats().bytesHit);
    CHECK(bank.stats(i).evictions == reference[i]->stats().evictions);
    CHECK(bank.usedBytes(i) == reference[i]->usedBytes());
  }
  for (std::size_t i = 0; i < specs.size(); ++i) CHECK(bank.objectCount(i) == reference[i]->objectCount());
  // Ids of keys no shadow holds are recycled: the index tracks the union of
  // the shadows' contents and ghosts, fewer than the keys ever seen (next
  // test case for the exact rule).
  CHECK(bank.indexedKeys() < 20'000);

  bank.resetStats();
  CHECK(bank.stats(0).requests == 0);
}

TEST_CASE("a shadow bank recycles the ids of keys that left every shadow and every ghost list") {
  // The policies see ids as keys and retain those they remember (ARC's and
  // S3-FIFO's ghosts, ARC's victims until settled): once a stream of other
  // keys has flushed every shadow and its ghosts, only those keys are indexed.
  std::vector<ShadowBank::Spec> specs;
  for (const PolicyInfo& p : onlinePolicies())
    for (std::uint64_t cap : {20'000, 150'000, 1'000'000}) specs.push_back({p.id, cap});
  ShadowBank bank(specs, kSampleHashRange);
  const auto first = stream(30'000, 20'000, 11);
  auto later = stream(100'000, 5'000, 12);
  for (Request& r : later) r.key += 1'000'000'000;  // disjoint from `first`
  for (std::size_t i = 0; i < first.size(); i += 100) bank.access(std::span<const Request>(first).subspan(i, 100));
  // Lowering rates mid-way evicts without a following insert (ARC settles
  // those victims later).
  for (std::size_t i = 0; i < specs.size(); i += 2) bank.lowerRate(i, 1);
  for (std::size_t i = 0; i < later.size(); i += 100) bank.access(std::span<const Request>(later).subspan(i, 100));
  std::vector<std::uint64_t> laterKeys;
  for (const Request& r : later) laterKeys.push_back(r.key);
  std::sort(laterKeys.begin(), laterKeys.end());
  laterKeys.erase(std::unique(laterKeys.begin(), laterKeys.end()), laterKeys.end());
  CHECK(bank.indexedKeys() <= laterKeys.size());
  CHECK(bank.indexedKeys() > 0);
}

TEST_CASE("unknown and offline policy ids give inert shadows") {
  const std::vector<ShadowBank::Spec> specs{{9999, 100}, {findPolicy("belady")->id, 100}, {0, 100}};
  ShadowBank bank(specs, kSampleHashRange);
  CHECK_FALSE(bank.valid(0));
  CHECK_FALSE(bank.valid(1));
  CHECK(bank.valid(2));
  Request r;
  r.key = 1;
  r.sizeBytes = 10;
  bank.access(std::span<const Request>(&r, 1));
  CHECK(bank.stats(2).requests == 1);
  CHECK(bank.stats(0).requests == 0);
}

namespace {

std::vector<Request> inSample(const std::vector<Request>& requests, std::uint32_t threshold) {
  std::vector<Request> out;
  for (const Request& r : requests)
    if (sampleHash(r.key) < threshold) out.push_back(r);
  return out;
}

}  // namespace

TEST_CASE("a shadow whose rate is lowered keeps only the smaller sample and converges to a cache fed it") {
  const std::uint32_t threshold = sampleThreshold(0.5);
  const std::uint32_t lowered = threshold >> 2;
  const std::uint64_t full = 2'000'000;
  const std::vector<ShadowBank::Spec> specs{{LruPolicy::kId, full}, {findPolicy("s3fifo")->id, full}};
  ShadowBank bank(specs, threshold);
  const auto requests = inSample(stream(120'000, 20'000, 3), threshold);
  const std::span<const Request> all(requests);
  const std::size_t third = requests.size() / 3;
  // Reference: an LRU cache of the lowered capacity fed the smaller sample
  // from the start.
  auto reference = testutil::makeCache(LruPolicy::kId, scaledCapacity(full, lowered));
  const auto feedReference = [&](std::span<const Request> part) {
    for (const Request& r : part)
      if (sampleHash(r.key) < lowered) (void)reference->access(r);
  };

  bank.access(all.first(third));
  feedReference(all.first(third));
  CHECK(bank.capacityBytes(0) == scaledCapacity(full, threshold));
  const std::size_t before = bank.objectCount(0);
  for (std::size_t i : {0, 1}) bank.lowerRate(i, 2);
  for (std::size_t i : {0, 1}) {
    CHECK(bank.level(i) == 2);
    CHECK(bank.samplingRate(i) == sampleRate(lowered));
    CHECK(bank.capacityBytes(i) == scaledCapacity(full, lowered));
    CHECK(bank.usedBytes(i) <= bank.capacityBytes(i));
  }
  CHECK(bank.objectCount(0) < before);

  // The bank keeps feeding the lowered shadows the smaller sample only. Once
  // they have seen more than their capacity of new objects, an LRU's
  // contents depend on recent requests only: from then on, equal hits.
  bank.access(all.subspan(third, third));
  feedReference(all.subspan(third, third));
  bank.resetStats();
  reference->resetStats();
  bank.access(all.subspan(2 * third));
  feedReference(all.subspan(2 * third));
  CHECK(bank.stats(0).requests == reference->stats().requests);
  CHECK(bank.stats(0).hits == reference->stats().hits);
  CHECK(bank.stats(0).bytesHit == reference->stats().bytesHit);
  CHECK(bank.stats(1).requests == reference->stats().requests);
  CHECK(bank.usedBytes(1) <= bank.capacityBytes(1));
}

TEST_CASE("an inactive shadow is not fed until activated with a warm state") {
  const std::uint32_t threshold = sampleThreshold(0.5);
  const std::uint32_t lowered = threshold >> 1;
  const std::uint64_t full = 1'000'000;
  const std::uint64_t capacity = scaledCapacity(full, lowered);
  const std::vector<ShadowBank::Spec> specs{{LruPolicy::kId, full, false}, {findPolicy("fifo")->id, full}};
  ShadowBank bank(specs, threshold);
  CHECK_FALSE(bank.active(0));
  CHECK(bank.active(1));
  const auto requests = inSample(stream(60'000, 10'000, 5), threshold);
  const std::span<const Request> all(requests);
  const std::size_t half = requests.size() / 2;
  auto reference = testutil::makeCache(LruPolicy::kId, capacity);
  LruStack recency({capacity});
  for (const Request& r : all.first(half))
    if (sampleHash(r.key) < lowered) {
      (void)reference->access(r);
      recency.access(r.key, r.sizeBytes);
    }
  bank.access(all.first(half));
  CHECK(bank.stats(0).requests == 0);
  CHECK(bank.stats(1).requests == half);

  // Seeded with the reference's LRU order (coldest first), it is the
  // reference from here on.
  std::vector<ShadowBank::SeedObject> seed;
  recency.forEachRecent([&](std::uint64_t key, std::uint64_t bytes) {
    seed.push_back({key, bytes});
    return true;
  });
  std::reverse(seed.begin(), seed.end());
  bank.activate(0, 1, seed);
  CHECK(bank.active(0));
  CHECK(bank.objectCount(0) == reference->objectCount());
  CHECK(bank.usedBytes(0) == reference->usedBytes());
  reference->resetStats();
  bank.resetStats();
  bank.access(all.subspan(half));
  for (const Request& r : all.subspan(half))
    if (sampleHash(r.key) < lowered) (void)reference->access(r);
  CHECK(bank.stats(0).requests == reference->stats().requests);
  CHECK(bank.stats(0).hits == reference->stats().hits);
  CHECK(bank.stats(0).bytesHit == reference->stats().bytesHit);
}
