#include "cachelib/ghost_lists.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <utility>
#include <vector>

using namespace edgecache::cachelib;

namespace {
// The reference: per list, keys front (newest) to back; key -> (list, bytes).
struct Model {
  std::vector<std::list<std::uint64_t>> lists;
  std::map<std::uint64_t, std::pair<int, std::uint64_t>> where;

  explicit Model(std::size_t n) : lists(n) {}
  int erase(std::uint64_t key) {
    auto it = where.find(key);
    if (it == where.end()) return GhostLists::kNotFound;
    const int list = it->second.first;
    lists[static_cast<std::size_t>(list)].remove(key);
    where.erase(it);
    return list;
  }
  void pushFront(std::size_t list, std::uint64_t key, std::uint64_t bytes) {
    erase(key);
    lists[list].push_front(key);
    where[key] = {static_cast<int>(list), bytes};
  }
  std::uint64_t bytes(std::size_t list) const {
    std::uint64_t b = 0;
    for (std::uint64_t k : lists[list]) b += where.at(k).second;
    return b;
  }
};
}  // namespace

namespace {
// Counts retains per id, as a ShadowBank does.
struct CountingRefs final : KeyIdRefs {
  std::map<std::uint64_t, int> count;
  void retain(std::uint64_t id) noexcept override { ++count[id]; }
  void release(std::uint64_t id) noexcept override {
    if (--count[id] == 0) count.erase(id);
  }
};
}  // namespace

namespace {
// Hashed keys, or dense ids (useKeyIds): then every key in the lists is
// retained exactly once.
void checkAgainstModel(bool dense) {
  constexpr std::size_t kLists = 2;
  CAPTURE(dense);
  CountingRefs refs;
  GhostLists ghosts(kLists);
  if (dense) ghosts.useKeyIds(&refs);
  Model model(kLists);
  std::mt19937_64 rng(2024);
  // Keys that differ only in their high bits as well as small integers, so
  // home buckets collide and backward-shift deletion gets exercised; dense
  // ids are small integers.
  const auto randomKey = [&] {
    const std::uint64_t k = rng() % 600;
    return (dense || rng() % 2) ? k : (k << 40);
  };
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 30000; ++i) {
      const std::uint64_t key = randomKey();
      const std::size_t list = rng() % kLists;
      switch (rng() % 4) {
        case 0:
        case 1:
        {
          const std::uint64_t bytes = 1 + rng() % 100;
          ghosts.pushFront(list, key, bytes);
          model.pushFront(list, key, bytes);
          break;
        }
        case 2:
          CHECK(ghosts.erase(key) == model.erase(key));
          break;
        default:
          if (!ghosts.empty(list)) {
            const std::uint64_t oldest = model.lists[list].back();
            ghosts.popBack(list);
            model.erase(oldest);
          }
      }
      CHECK(ghosts.find(key) == (model.where.count(key) ? model.where[key].first : GhostLists::kNotFound));
      for (std::size_t l = 0; l < kLists; ++l) {
        REQUIRE(ghosts.size(l) == model.lists[l].size());
        REQUIRE(ghosts.bytes(l) == model.bytes(l));
      }
      if (dense) {
        REQUIRE(refs.count.size() == model.where.size());
        REQUIRE((refs.count.empty() || refs.count.rbegin()->second == 1));
      }
    }
    // Every key the model holds is found in its list; order: draining from
    // the back gives the model's back-to-front order.
    for (const auto& [key, where] : model.where) CHECK(ghosts.find(key) == where.first);
    for (std::size_t l = 0; l < kLists; ++l) {
      while (!model.lists[l].empty()) {
        const std::uint64_t oldest = model.lists[l].back();
        CHECK(ghosts.find(oldest) == static_cast<int>(l));
        ghosts.popBack(l);
        model.erase(oldest);
        CHECK(ghosts.find(oldest) == GhostLists::kNotFound);
      }
      CHECK(ghosts.empty(l));
      CHECK(ghosts.bytes(l) == 0);
    }
    CHECK(refs.count.empty());
    if (round == 1) ghosts.clear();
  }
}
}  // namespace

TEST_CASE("GhostLists agrees with a list model under random push/erase/pop, index growth and clear") {
  checkAgainstModel(false);
  checkAgainstModel(true);
}

TEST_CASE("GhostLists with dense ids releases every key it drops, clear() included") {
  CountingRefs refs;
  GhostLists ghosts(2);
  ghosts.useKeyIds(&refs);
  for (std::uint64_t id = 0; id < 100; ++id) ghosts.pushFront(id % 2, id, 1);
  ghosts.pushFront(1, 4, 1);  // a move retains nothing more
  CHECK(refs.count.size() == 100);
  CHECK(refs.count[4] == 1);
  ghosts.popBack(0);
  CHECK(ghosts.find(0) == GhostLists::kNotFound);
  CHECK(refs.count.count(0) == 0);
  ghosts.clear();
  CHECK(refs.count.empty());
  CHECK(ghosts.find(5) == GhostLists::kNotFound);
  ghosts.pushFront(0, 5, 1);
  CHECK(ghosts.find(5) == 0);
}

TEST_CASE("GhostLists byte totals follow pushes, moves and removals") {
  GhostLists ghosts(2);
  ghosts.pushFront(0, 7, 10);
  ghosts.pushFront(0, 8, 20);
  ghosts.pushFront(1, 9, 5);
  CHECK(ghosts.bytes(0) == 30);
  ghosts.pushFront(1, 7, 12);  // moved: leaves list 0 with its old size
  CHECK(ghosts.bytes(0) == 20);
  CHECK(ghosts.bytes(1) == 17);
  CHECK(ghosts.find(7) == 1);
  ghosts.popBack(1);  // 9 is the oldest of list 1
  CHECK(ghosts.find(9) == GhostLists::kNotFound);
  CHECK(ghosts.bytes(1) == 12);
  CHECK(ghosts.erase(8) == 0);
  CHECK(ghosts.erase(8) == GhostLists::kNotFound);
  CHECK(ghosts.empty(0));
  ghosts.clear();
  CHECK(ghosts.find(7) == GhostLists::kNotFound);
  CHECK(ghosts.size(1) == 0);
}
