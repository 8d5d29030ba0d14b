#pragma once
// GDSF: Greedy-Dual-Size-Frequency (Cherkasova, 1998) with cost 1 per object,
// i.e. tuned for the object hit ratio. Each object has the priority
// H = L + f x 1 / size, where f counts its requests (1 on admission, +1 per
// hit, H recomputed from the current L on every hit), size is its charged
// size in bytes, and L is the priority of the last evicted object (0 at
// start). The lowest H is evicted; among equal H the object requested least
// recently goes first (as libCacheSim's GDSF.cpp). Small, frequently
// requested objects are kept over big ones; L ages out objects that stopped
// being requested.
//
// Complexity: O(log n) per insert/hit/erase/evict (IndexedHeap).
// Memory: 40 bytes per resident object (heap node: priority 8, sequence 8,
// slot 4, padding 4; heap position 4; frequency 4; size 8).
// On a hot switch: seeded objects enter with f = 1 in the previous policy's
// order, so the next victims are the largest objects (then the coldest among
// equal sizes) until hits tell them apart.

#include <bit>
#include <cstdint>
#include <memory>
#include <vector>

#include "cachelib/indexed_heap.h"
#include "cachelib/policy.h"

namespace edgecache::cachelib {

class GdsfPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 7;
  static constexpr double kCost = 1.0;  // retrieval cost of every object (1 = optimise object hit ratio)
  static std::unique_ptr<Policy> make() { return std::make_unique<GdsfPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request& request) noexcept override;
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<GdsfPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override {
    return Heap::kBytesPerEntry + sizeof(std::uint32_t) + sizeof(std::uint64_t);
  }

  // Introspection (tests, reports).
  double agingBase() const noexcept { return aging_; }
  double priority(SlotId slot) const noexcept { return heap_.key(slot).priority; }

 private:
  struct Key {
    double priority;         // L + f * kCost / size at the last update
    std::uint64_t sequence;  // last update; older first among equal priorities
    // One 128-bit integer comparison, no data-dependent branch inside the
    // heap's child selection: priorities are finite and >= +0.0 (L starts
    // at 0 and f / size > 0), and for those the IEEE bit patterns order as
    // the numbers do.
    bool operator<(const Key& o) const noexcept {
      return ((static_cast<unsigned __int128>(std::bit_cast<std::uint64_t>(priority)) << 64) | sequence) <
             ((static_cast<unsigned __int128>(std::bit_cast<std::uint64_t>(o.priority)) << 64) | o.sequence);
    }
  };
  using Heap = IndexedHeap<Key>;

  double priorityFor(SlotId slot) const noexcept;

  Heap heap_;
  std::vector<std::uint32_t> freq_;   // by slot
  std::vector<std::uint64_t> bytes_;  // by slot: charged bytes
  double aging_ = 0.0;                // L
  std::uint64_t sequence_ = 0;
};

}  // namespace edgecache::cachelib
