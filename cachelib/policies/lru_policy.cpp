#include "cachelib/policies/lru_policy.h"

namespace edgecache::cachelib {

void LruPolicy::onInsert(SlotId slot, const Request&, std::uint64_t) noexcept {
  lists_.ensure(slot);
  lists_.pushFront(0, slot);
}

void LruPolicy::onHit(SlotId slot, const Request&) noexcept { lists_.moveToFront(0, slot); }

void LruPolicy::onErase(SlotId slot) noexcept { lists_.remove(0, slot); }

SlotId LruPolicy::popVictim() noexcept {
  const SlotId victim = lists_.back(0);
  lists_.remove(0, victim);
  return victim;
}

void LruPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  coldToHot.clear();
  lists_.appendBackToFront(0, coldToHot);
}

}  // namespace edgecache::cachelib
