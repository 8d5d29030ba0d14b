#include "cachelib/shadow_bank.h"

#include <doctest/doctest.h>

#include <vector>

#include "cachelib/cache.h"
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
  ShadowBank bank(specs);
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
  // Ids of keys no shadow holds are recycled: the index tracks at most the
  // union of the shadows' contents, far fewer than the keys ever seen.
  std::size_t held = 0;
  for (auto& c : reference) held += c->objectCount();
  CHECK(bank.indexedKeys() <= held);
  CHECK(bank.indexedKeys() < 20'000);

  bank.resetStats();
  CHECK(bank.stats(0).requests == 0);
}

TEST_CASE("unknown and offline policy ids give inert shadows") {
  const std::vector<ShadowBank::Spec> specs{{9999, 100}, {findPolicy("belady")->id, 100}, {0, 100}};
  ShadowBank bank(specs);
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
