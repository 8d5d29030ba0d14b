#include "cachelib/policies/clock_policy.h"

namespace edgecache::cachelib {

void ClockPolicy::onInsert(SlotId slot, const Request&, std::uint64_t) noexcept {
  lists_.ensure(slot);
  if (slot >= referenced_.size()) referenced_.resize(static_cast<std::size_t>(slot) + 1 + referenced_.size() / 2);
  referenced_[slot] = 0;
  lists_.pushFront(0, slot);
}

void ClockPolicy::onErase(SlotId slot) noexcept { lists_.remove(0, slot); }

SlotId ClockPolicy::popVictim() noexcept {
  SlotId victim = lists_.back(0);
  while (referenced_[victim] != 0) {
    referenced_[victim] = 0;
    lists_.moveToFront(0, victim);
    victim = lists_.back(0);
  }
  lists_.remove(0, victim);
  return victim;
}

void ClockPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  // Unreferenced objects go first (they are evicted before any referenced one).
  coldToHot.clear();
  for (SlotId s = lists_.back(0); s != kNoSlot; s = lists_.newer(s))
    if (referenced_[s] == 0) coldToHot.push_back(s);
  for (SlotId s = lists_.back(0); s != kNoSlot; s = lists_.newer(s))
    if (referenced_[s] != 0) coldToHot.push_back(s);
}

}  // namespace edgecache::cachelib
