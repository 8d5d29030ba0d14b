#pragma once
// Clock as FIFO-reinsertion with a 1-bit reference counter (libCacheSim's
// "Clock"): a hit sets the bit; the victim search takes the oldest object and,
// while its bit is set, clears it and moves it to the front. Amortised O(1);
// 9 bytes/object. On a hot switch: previous order as queue order, bits clear.

#include <cstdint>
#include <memory>
#include <vector>

#include "cachelib/policy.h"
#include "cachelib/slot_lists.h"

namespace edgecache::cachelib {

class ClockPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 2;
  static std::unique_ptr<Policy> make() { return std::make_unique<ClockPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request&) noexcept override { referenced_[slot] = 1; }
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<ClockPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override { return 9; }

 private:
  SlotLists lists_{1};
  std::vector<std::uint8_t> referenced_;
};

}  // namespace edgecache::cachelib
