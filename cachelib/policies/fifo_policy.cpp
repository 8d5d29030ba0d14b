#include "cachelib/policies/fifo_policy.h"

namespace edgecache::cachelib {

void FifoPolicy::onInsert(SlotId slot, const Request&, std::uint64_t) noexcept {
  lists_.ensure(slot);
  lists_.pushFront(0, slot);
}

void FifoPolicy::onErase(SlotId slot) noexcept { lists_.remove(0, slot); }

SlotId FifoPolicy::popVictim() noexcept {
  const SlotId victim = lists_.back(0);
  lists_.remove(0, victim);
  return victim;
}

void FifoPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  coldToHot.clear();
  lists_.appendBackToFront(0, coldToHot);
}

}  // namespace edgecache::cachelib
