#pragma once
// LRU: evicts the least recently requested object. O(1) per hook; 8 bytes of
// state per object. On a hot switch it inherits the previous order as recency.

#include <memory>

#include "cachelib/policy.h"
#include "cachelib/slot_lists.h"

namespace edgecache::cachelib {

class LruPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 0;
  static std::unique_ptr<Policy> make() { return std::make_unique<LruPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request& request) noexcept override;
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<LruPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override { return 8; }

 private:
  SlotLists lists_{1};
};

}  // namespace edgecache::cachelib
