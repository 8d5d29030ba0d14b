#include "cachelib/policies/gdsf_policy.h"

#include <algorithm>

namespace edgecache::cachelib {

double GdsfPolicy::priorityFor(SlotId slot) const noexcept {
  // A zero-byte object (possible without per-object overhead) counts as one
  // byte rather than dividing by zero.
  const double size = static_cast<double>(std::max<std::uint64_t>(bytes_[slot], 1));
  return aging_ + static_cast<double>(freq_[slot]) * kCost / size;
}

void GdsfPolicy::onInsert(SlotId slot, const Request&, std::uint64_t chargedBytes) noexcept {
  if (slot >= freq_.size()) {
    const std::size_t n = static_cast<std::size_t>(slot) + 1 + freq_.size() / 2;
    freq_.resize(n);
    bytes_.resize(n);
  }
  freq_[slot] = 1;
  bytes_[slot] = chargedBytes;
  heap_.push(slot, Key{priorityFor(slot), ++sequence_});
}

void GdsfPolicy::onHit(SlotId slot, const Request&) noexcept {
  if (freq_[slot] != UINT32_MAX) ++freq_[slot];
  heap_.update(slot, Key{priorityFor(slot), ++sequence_});
}

void GdsfPolicy::onErase(SlotId slot) noexcept { heap_.erase(slot); }

SlotId GdsfPolicy::popVictim() noexcept {
  aging_ = heap_.topKey().priority;
  return heap_.pop();
}

void GdsfPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  coldToHot.clear();
  heap_.sortedSlots(coldToHot);
}

}  // namespace edgecache::cachelib
