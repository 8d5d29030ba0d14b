#include "cachelib/key_index.h"

#include <doctest/doctest.h>

#include <random>
#include <unordered_map>

using namespace edgecache::cachelib;

TEST_CASE("KeyIndex agrees with std::unordered_map under heavy churn") {
  KeyIndex index;
  std::unordered_map<std::uint64_t, SlotId> ref;
  std::mt19937_64 rng(11);
  for (int i = 0; i < 300'000; ++i) {
    // Small key space so erases hit, clustered keys to exercise long probe runs.
    const std::uint64_t key = (rng() % 4 == 0) ? rng() : (rng() % 5000) * 64;
    const auto op = rng() % 3;
    if (op < 2) {
      if (!ref.count(key)) {
        const auto slot = static_cast<SlotId>(rng() % 1'000'000);
        index.insert(key, slot);
        ref[key] = slot;
      }
    } else {
      const SlotId got = index.erase(key);
      const auto it = ref.find(key);
      CHECK(got == (it == ref.end() ? kNoSlot : it->second));
      if (it != ref.end()) ref.erase(it);
    }
    if (i % 20000 == 0) {
      REQUIRE(index.size() == ref.size());
      for (const auto& [k, s] : ref) REQUIRE(index.find(k) == s);
    }
  }
  std::size_t seen = 0;
  index.forEach([&](std::uint64_t k, SlotId s) {
    ++seen;
    CHECK(ref.at(k) == s);
  });
  CHECK(seen == ref.size());
  CHECK(index.find(0xdeadbeef) == kNoSlot);
}
