#pragma once
// LFUDA: LFU with dynamic aging (Arlitt et al., 2000). Each object has the
// priority K = L + f, where f counts its requests (1 on admission, +1 per
// hit, recomputed from the current L on every hit) and L is the priority of
// the last evicted object (0 at start). The object with the lowest K is
// evicted; among equal K the one requested least recently goes first. Aging
// through L lets once-popular objects that stopped being requested leave,
// which plain LFU never does.
//
// Note: libCacheSim's LFUDA.c adds L (not 1) to the priority on a hit, which
// freezes frequencies until the first eviction; this class implements the
// published rule instead, so its miss counts differ from libCacheSim's LFUDA.
//
// Complexity: O(log n) per insert/hit/erase/evict (IndexedHeap).
// Memory: 32 bytes per resident object (heap node: priority 8, sequence 8,
// slot 4, padding 4; heap position 4; frequency 4).
// On a hot switch: seeded objects enter with f = 1 in the previous policy's
// order, so they are evicted coldest first until hits tell them apart.

#include <cstdint>
#include <memory>
#include <vector>

#include "cachelib/indexed_heap.h"
#include "cachelib/policy.h"

namespace edgecache::cachelib {

class LfudaPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 3;
  static std::unique_ptr<Policy> make() { return std::make_unique<LfudaPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request& request) noexcept override;
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<LfudaPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override {
    return Heap::kBytesPerEntry + sizeof(std::uint32_t);
  }

  // Introspection (tests, reports).
  std::uint64_t agingBase() const noexcept { return aging_; }
  std::uint64_t priority(SlotId slot) const noexcept { return heap_.key(slot).priority; }

 private:
  struct Key {
    std::uint64_t priority;  // L + f at the last update
    std::uint64_t sequence;  // last update; older first among equal priorities
    // One 128-bit comparison: no data-dependent branch inside the heap's
    // child selection.
    bool operator<(const Key& o) const noexcept {
      return ((static_cast<unsigned __int128>(priority) << 64) | sequence) <
             ((static_cast<unsigned __int128>(o.priority) << 64) | o.sequence);
    }
  };
  using Heap = IndexedHeap<Key>;

  Heap heap_;
  std::vector<std::uint32_t> freq_;  // by slot
  std::uint64_t aging_ = 0;          // L
  std::uint64_t sequence_ = 0;
};

}  // namespace edgecache::cachelib
