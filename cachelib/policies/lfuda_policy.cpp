#include "cachelib/policies/lfuda_policy.h"

namespace edgecache::cachelib {

void LfudaPolicy::onInsert(SlotId slot, const Request&, std::uint64_t) noexcept {
  if (slot >= freq_.size()) freq_.resize(static_cast<std::size_t>(slot) + 1 + freq_.size() / 2);
  freq_[slot] = 1;
  heap_.push(slot, Key{aging_ + 1, ++sequence_});
}

void LfudaPolicy::onHit(SlotId slot, const Request&) noexcept {
  if (freq_[slot] != UINT32_MAX) ++freq_[slot];
  heap_.update(slot, Key{aging_ + freq_[slot], ++sequence_});
}

void LfudaPolicy::onErase(SlotId slot) noexcept { heap_.erase(slot); }

SlotId LfudaPolicy::popVictim() noexcept {
  // L only grows: the minimum priority is never below the last victim's.
  aging_ = heap_.topKey().priority;
  return heap_.pop();
}

void LfudaPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  coldToHot.clear();
  heap_.sortedSlots(coldToHot);
}

}  // namespace edgecache::cachelib
