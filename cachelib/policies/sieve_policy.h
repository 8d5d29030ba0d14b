#pragma once
// SIEVE (Zhang et al., NSDI'24): a FIFO queue plus a visited bit and a hand
// that walks from the oldest object towards the newest, clearing visited bits
// and evicting the first unvisited object; survivors stay in place. Matches
// libCacheSim's SIEVE. Amortised O(1); 9 bytes/object plus the hand.
// On a hot switch: previous order as queue order, visited bits clear.

#include <cstdint>
#include <memory>
#include <vector>

#include "cachelib/policy.h"
#include "cachelib/slot_lists.h"

namespace edgecache::cachelib {

class SievePolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 6;
  static std::unique_ptr<Policy> make() { return std::make_unique<SievePolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request&) noexcept override { visited_[slot] = 1; }
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<SievePolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override { return 9; }

 private:
  SlotLists lists_{1};
  std::vector<std::uint8_t> visited_;
  SlotId hand_ = kNoSlot;  // next object to examine; kNoSlot = start at the oldest
};

}  // namespace edgecache::cachelib
