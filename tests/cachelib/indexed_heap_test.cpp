#include "cachelib/indexed_heap.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

using namespace edgecache::cachelib;

TEST_CASE("IndexedHeap agrees with an ordered set under random push/update/erase/pop") {
  // Keys made unique by the slot so the expected top is unambiguous.
  using Key = std::pair<std::uint32_t, SlotId>;
  IndexedHeap<Key> heap;
  std::set<Key> model;
  std::map<SlotId, Key> keyOf;
  std::mt19937 rng(12345);
  for (int i = 0; i < 20000; ++i) {
    const SlotId slot = rng() % 300;
    const Key key{static_cast<std::uint32_t>(rng() % 50), slot};
    const int op = static_cast<int>(rng() % 4);
    if (!heap.contains(slot)) {
      heap.push(slot, key);
      model.insert(key);
      keyOf[slot] = key;
    } else if (op == 0) {
      heap.erase(slot);
      model.erase(keyOf[slot]);
      keyOf.erase(slot);
    } else if (op == 1 && !model.empty()) {
      const SlotId top = heap.pop();
      REQUIRE(top == model.begin()->second);
      model.erase(model.begin());
      keyOf.erase(top);
    } else {
      heap.update(slot, key);
      model.erase(keyOf[slot]);
      model.insert(key);
      keyOf[slot] = key;
    }
    REQUIRE(heap.size() == model.size());
    if (!model.empty()) REQUIRE(heap.top() == model.begin()->second);
  }
  std::vector<SlotId> sorted;
  heap.sortedSlots(sorted);
  std::vector<SlotId> expected;
  for (const Key& k : model) expected.push_back(k.second);
  CHECK(sorted == expected);
}

TEST_CASE("IndexedHeap pops a deep heap in key order, with updates in between") {
  // Deep enough for several levels of four children; keys unique.
  using Key = std::pair<std::uint64_t, SlotId>;
  IndexedHeap<Key> heap;
  std::set<Key> model;
  std::vector<Key> keyOf(5000);
  std::mt19937_64 rng(99);
  for (SlotId s = 0; s < 5000; ++s) {
    keyOf[s] = Key{rng() % 1000, s};
    heap.push(s, keyOf[s]);
    model.insert(keyOf[s]);
  }
  for (int i = 0; i < 20000 && !model.empty(); ++i) {
    if (i % 3 == 0) {
      const SlotId top = heap.pop();
      REQUIRE(top == model.begin()->second);
      model.erase(model.begin());
    } else {
      // Raise or lower a random member's key.
      const auto s = static_cast<SlotId>(rng() % keyOf.size());
      if (!heap.contains(s)) continue;
      model.erase(keyOf[s]);
      keyOf[s] = Key{rng() % 1000, s};
      heap.update(s, keyOf[s]);
      model.insert(keyOf[s]);
    }
    REQUIRE(heap.size() == model.size());
  }
  std::vector<SlotId> sorted;
  heap.sortedSlots(sorted);
  std::vector<SlotId> expected;
  for (const Key& k : model) expected.push_back(k.second);
  CHECK(sorted == expected);
}
