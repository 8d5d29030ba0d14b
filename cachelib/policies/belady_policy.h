#pragma once
// Belady's MIN (offline optimum for unit sizes): evicts the resident object
// whose next request (Request::nextAccessIndex, kNoNextAccess = never, which
// counts as infinitely far) is farthest in the future. Admission on insert
// and every hit update the object's next access from that request, as
// libCacheSim's Belady.c does. Among objects with the same next access (in
// practice: several never requested again) the one inserted or requested
// longest ago goes first; libCacheSim's heap leaves that order unspecified.
// Offline only: it needs traces with next-access indexes (oracleGeneral) and
// is never offered to controllers (registry row offline = true).
//
// Complexity: O(log n) per insert/hit/erase/evict (IndexedHeap).
// Memory: 28 bytes per resident object (heap node: next access 8, sequence 8,
// slot 4, padding 4; heap position 4).
// On a hot switch: seeded objects carry no next access (the SeedEntry has
// none), so they count as never requested again and go first, coldest first,
// until a hit gives them their real next access.

#include <cstdint>
#include <memory>
#include <vector>

#include "cachelib/indexed_heap.h"
#include "cachelib/policy.h"

namespace edgecache::cachelib {

class BeladyPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 8;
  static std::unique_ptr<Policy> make() { return std::make_unique<BeladyPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request& request) noexcept override;
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<BeladyPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override { return Heap::kBytesPerEntry; }

 private:
  struct Key {
    std::uint64_t nextAccess;  // kNoNextAccess mapped to UINT64_MAX
    std::uint64_t sequence;    // insert / last hit; older first among ties
  };
  // The heap's top is the first victim: farthest next access, then oldest.
  struct EvictsFirst {
    bool operator()(const Key& a, const Key& b) const noexcept {
      return a.nextAccess != b.nextAccess ? a.nextAccess > b.nextAccess : a.sequence < b.sequence;
    }
  };
  using Heap = IndexedHeap<Key, EvictsFirst>;

  static std::uint64_t nextAccessOf(const Request& request) noexcept;

  Heap heap_;
  std::uint64_t sequence_ = 0;
};

}  // namespace edgecache::cachelib
