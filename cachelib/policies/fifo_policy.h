#pragma once
// FIFO: evicts in admission order; hits change nothing. O(1); 8 bytes/object.
// On a hot switch the previous eviction order becomes the admission order.

#include <memory>

#include "cachelib/policy.h"
#include "cachelib/slot_lists.h"

namespace edgecache::cachelib {

class FifoPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 1;
  static std::unique_ptr<Policy> make() { return std::make_unique<FifoPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId, const Request&) noexcept override {}
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<FifoPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override { return 8; }

 private:
  SlotLists lists_{1};
};

}  // namespace edgecache::cachelib
