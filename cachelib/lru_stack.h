#pragma once
// LruStack: LRU hit counts at many byte capacities at once from one
// structure (Mattson et al. 1970: LRU is a stack algorithm, so one recency
// stack answers every capacity). Used by WindowFeatureTracker in place of one
// LRU shadow cache per capacity.
//
// An LRU cache of c bytes that admits an object only if it fits holds the
// longest prefix of the recency stack that fits in c (every eviction removes
// the bottom of that prefix, and a hit moves an object inside it to the top).
// So a request hits at capacity c iff the bytes of the distinct objects
// requested since its key's last request, plus its own, are <= c. The stack is
// a Fenwick tree over request positions holding each live object's bytes at
// its latest position: one prefix sum gives those bytes, O(log n).
//
// Same results as an LRU Cache at each capacity (tested) when every object
// fits in every capacity and a key keeps its size. Otherwise, approximations:
// an object larger than some capacities still takes its bytes in the stack
// for them (the Cache would not admit it, so it would not push others out);
// objects larger than the largest capacity are not stacked at all (exact). A
// key whose size changes keeps its stored size if it hit at the largest
// capacity (as a Cache hit keeps the stored size), else takes the new one.
//
// Memory: about 40 B per object within the largest capacity (objects pushed
// below it can never hit again and are dropped). Not thread-safe.

#include <cstdint>
#include <span>
#include <vector>

#include <absl/container/flat_hash_map.h>

namespace edgecache::cachelib {

class LruStack {
 public:
  // The capacities to answer, in any order (indexes below are into it).
  explicit LruStack(std::vector<std::uint64_t> capacitiesBytes);

  // One request; counts a hit or a miss at every capacity. Amortised
  // O(log n + log capacities) plus one hash lookup. noexcept (an allocation
  // failure terminates, as std::vector).
  void access(std::uint64_t key, std::uint64_t sizeBytes) noexcept;

  std::size_t capacities() const noexcept { return capacities_.size(); }
  std::uint64_t capacityBytes(std::size_t i) const noexcept { return capacities_[i]; }
  // Counts since the last resetStats(): requests and their bytes are the
  // same for every capacity; hits and hit bytes at capacity i.
  std::uint64_t requests() const noexcept { return requests_; }
  std::uint64_t bytesRequested() const noexcept { return bytesRequested_; }
  std::uint64_t hits(std::size_t i) const noexcept;
  std::uint64_t bytesHit(std::size_t i) const noexcept;
  void resetStats() noexcept;

  // Objects in the stack (within the largest capacity).
  std::size_t objectCount() const noexcept { return where_.size(); }
  // Calls visit(key, bytes) for the stacked objects from the most recently
  // requested down, until it returns false. O(objects visited + dead slots).
  template <typename Visit>
  void forEachRecent(Visit&& visit) const {
    for (std::uint32_t p = next_; p-- > bottom_;)
      if (at_[p].bytes != kDead && !visit(at_[p].key, at_[p].bytes)) return;
  }

 private:
  static constexpr std::uint64_t kDead = ~std::uint64_t{0};
  struct Slot {
    std::uint64_t key;
    std::uint64_t bytes;  // kDead once the object moved up or fell off
  };
  void add(std::uint32_t position, std::int64_t delta) noexcept;
  std::uint64_t prefix(std::uint32_t position) const noexcept;  // bytes at positions <= position
  void compact() noexcept;
  void trim() noexcept;

  std::vector<std::uint64_t> capacities_;     // as given
  std::vector<std::uint64_t> ascending_;      // sorted
  std::vector<std::size_t> rank_;             // capacities_[i] == ascending_[rank_[i]]
  std::vector<std::uint64_t> hitsFrom_;       // [r]: hits whose smallest hitting capacity is ascending_[r]
  std::vector<std::uint64_t> bytesHitFrom_;
  std::uint64_t requests_ = 0, bytesRequested_ = 0;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> where_;  // key -> position
  std::vector<Slot> at_;                      // position -> object
  std::vector<std::uint64_t> tree_;           // Fenwick tree over positions (1-based inside)
  std::uint32_t next_ = 0;                    // next free position
  std::uint32_t bottom_ = 0;                  // positions below are all dead
  std::uint64_t total_ = 0;                   // bytes of the stacked objects
};

}  // namespace edgecache::cachelib
