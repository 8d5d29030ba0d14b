#include "cachelib/policies/belady_policy.h"

namespace edgecache::cachelib {

std::uint64_t BeladyPolicy::nextAccessOf(const Request& request) noexcept {
  // Any negative index means "no later request" (kNoNextAccess is -1).
  return request.nextAccessIndex < 0 ? UINT64_MAX : static_cast<std::uint64_t>(request.nextAccessIndex);
}

void BeladyPolicy::onInsert(SlotId slot, const Request& request, std::uint64_t) noexcept {
  heap_.push(slot, Key{nextAccessOf(request), ++sequence_});
}

void BeladyPolicy::onHit(SlotId slot, const Request& request) noexcept {
  heap_.update(slot, Key{nextAccessOf(request), ++sequence_});
}

void BeladyPolicy::onErase(SlotId slot) noexcept { heap_.erase(slot); }

SlotId BeladyPolicy::popVictim() noexcept { return heap_.pop(); }

void BeladyPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  coldToHot.clear();
  heap_.sortedSlots(coldToHot);
}

}  // namespace edgecache::cachelib
