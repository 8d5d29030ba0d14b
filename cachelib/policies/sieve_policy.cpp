#include "cachelib/policies/sieve_policy.h"

namespace edgecache::cachelib {

void SievePolicy::onInsert(SlotId slot, const Request&, std::uint64_t) noexcept {
  lists_.ensure(slot);
  if (slot >= visited_.size()) visited_.resize(static_cast<std::size_t>(slot) + 1 + visited_.size() / 2);
  visited_[slot] = 0;
  lists_.pushFront(0, slot);
}

void SievePolicy::onErase(SlotId slot) noexcept {
  if (hand_ == slot) hand_ = lists_.newer(slot);
  lists_.remove(0, slot);
}

SlotId SievePolicy::popVictim() noexcept {
  SlotId s = hand_ == kNoSlot ? lists_.back(0) : hand_;
  while (visited_[s] != 0) {
    visited_[s] = 0;
    s = lists_.newer(s);
    if (s == kNoSlot) s = lists_.back(0);
  }
  hand_ = lists_.newer(s);
  lists_.remove(0, s);
  return s;
}

void SievePolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  // The eviction order from the hand: unvisited objects from the hand towards
  // the newest, then wrapping; visited objects after all unvisited ones.
  coldToHot.clear();
  const SlotId start = hand_ == kNoSlot ? lists_.back(0) : hand_;
  if (start == kNoSlot) return;
  for (int visitedPass = 0; visitedPass < 2; ++visitedPass) {
    SlotId s = start;
    do {
      if ((visited_[s] != 0) == (visitedPass == 1)) coldToHot.push_back(s);
      s = lists_.newer(s);
      if (s == kNoSlot) s = lists_.back(0);
    } while (s != start);
  }
}

}  // namespace edgecache::cachelib
