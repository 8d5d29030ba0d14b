#pragma once
// SlotLists: several doubly-linked lists threaded through one array of links
// indexed by SlotId. A slot is in at most one of the lists at a time (the
// owner tracks which). Used by the queue-based policies (LRU, FIFO, Clock,
// SIEVE, ARC, S3-FIFO). All operations O(1); 8 bytes per slot.
//
// "front" is the most recently inserted end, "back" the oldest end.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cachelib/policy.h"

namespace edgecache::cachelib {

class SlotLists {
 public:
  explicit SlotLists(std::size_t listCount) : ends_(listCount) {}

  // Makes `slot` addressable; call before linking a slot for the first time.
  void ensure(SlotId slot) {
    if (slot >= links_.size()) links_.resize(static_cast<std::size_t>(slot) + 1 + links_.size() / 2);
  }

  bool empty(std::size_t list) const noexcept { return ends_[list].front == kNoSlot; }
  std::size_t size(std::size_t list) const noexcept { return ends_[list].count; }
  SlotId front(std::size_t list) const noexcept { return ends_[list].front; }
  SlotId back(std::size_t list) const noexcept { return ends_[list].back; }
  // Towards the front (newer) / towards the back (older); kNoSlot at the ends.
  SlotId newer(SlotId slot) const noexcept { return links_[slot].newer; }
  SlotId older(SlotId slot) const noexcept { return links_[slot].older; }

  void pushFront(std::size_t list, SlotId slot) noexcept {
    Ends& e = ends_[list];
    Link& l = links_[slot];
    l.newer = kNoSlot;
    l.older = e.front;
    if (e.front != kNoSlot) links_[e.front].newer = slot; else e.back = slot;
    e.front = slot;
    ++e.count;
  }

  void pushBack(std::size_t list, SlotId slot) noexcept {
    Ends& e = ends_[list];
    Link& l = links_[slot];
    l.older = kNoSlot;
    l.newer = e.back;
    if (e.back != kNoSlot) links_[e.back].older = slot; else e.front = slot;
    e.back = slot;
    ++e.count;
  }

  void remove(std::size_t list, SlotId slot) noexcept {
    Ends& e = ends_[list];
    const Link l = links_[slot];
    if (l.newer != kNoSlot) links_[l.newer].older = l.older; else e.front = l.older;
    if (l.older != kNoSlot) links_[l.older].newer = l.newer; else e.back = l.newer;
    --e.count;
  }

  void moveToFront(std::size_t list, SlotId slot) noexcept {
    if (ends_[list].front == slot) return;
    remove(list, slot);
    pushFront(list, slot);
  }

  // Appends the list's slots from back (oldest) to front (newest).
  void appendBackToFront(std::size_t list, std::vector<SlotId>& out) const {
    for (SlotId s = ends_[list].back; s != kNoSlot; s = links_[s].newer) out.push_back(s);
  }

 private:
  struct Link {
    SlotId newer = kNoSlot;
    SlotId older = kNoSlot;
  };
  struct Ends {
    SlotId front = kNoSlot;
    SlotId back = kNoSlot;
    std::size_t count = 0;
  };
  std::vector<Link> links_;
  std::vector<Ends> ends_;
};

}  // namespace edgecache::cachelib
