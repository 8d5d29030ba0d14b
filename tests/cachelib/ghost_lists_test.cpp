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

TEST_CASE("GhostLists agrees with a list model under random push/erase/pop, index growth and clear") {
  constexpr std::size_t kLists = 2;
  GhostLists ghosts(kLists);
  Model model(kLists);
  std::mt19937_64 rng(2024);
  // Keys that differ only in their high bits as well as small integers, so
  // home buckets collide and backward-shift deletion gets exercised.
  const auto randomKey = [&] {
    const std::uint64_t k = rng() % 600;
    return (rng() % 2) ? k : (k << 40);
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
    if (round == 1) ghosts.clear();
  }
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
