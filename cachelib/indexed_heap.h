#pragma once
// IndexedHeap: a 4-ary heap of SlotIds ordered by a per-slot key, with an
// index from slot to heap position so that any member's key can be changed or
// the member removed in O(log n). Used by the priority policies (LFUDA, GDSF,
// Belady), whose keys change on every hit.
//
// Why 4-ary: a node moving down or up the heap costs a heap write plus a
// position write per level, at random places; four children per node halve
// the levels for one more comparison per level, and the four children sit
// next to each other. pop() moves the hole left at the root down to a leaf
// along the smaller children and sifts the last node up from there (it
// nearly always belongs near the bottom), which saves comparing it at every
// level. With unique keys (see the contract) the top, and so every pop, is
// the same as any other correct heap's.
//
// Contract:
// - `Before(a, b)` is a strict weak order on Key; top() is a slot whose key no
//   other member's key is Before (the "first to evict"). Make keys unique (add
//   a sequence number) when the order among equal priorities matters: the heap
//   itself does not keep insertion order among equal keys.
// - A slot is in the heap at most once. push() requires !contains(slot);
//   update()/erase()/key() require contains(slot); top()/pop() require !empty().
//   Violations are not checked in release builds (UB, like std containers).
// - Complexity: push/update/erase/pop O(log n), top/contains/key O(1),
//   sortedSlots O(n log n). Memory: kBytesPerEntry per member (heap node plus
//   the position slot); the position index grows with the largest SlotId seen.
// - Not thread safe; noexcept apart from allocation failure when growing
//   (which terminates, as in the policy hooks that use it).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "cachelib/policy.h"

namespace edgecache::cachelib {

template <typename Key, typename Before = std::less<Key>>
class IndexedHeap {
 public:
  struct Node {
    Key key;
    SlotId slot;
  };
  // Heap node plus the slot -> position entry.
  static constexpr std::size_t kBytesPerEntry = sizeof(Node) + sizeof(std::uint32_t);

  IndexedHeap() = default;
  explicit IndexedHeap(Before before) : before_(std::move(before)) {}

  bool empty() const noexcept { return heap_.empty(); }
  std::size_t size() const noexcept { return heap_.size(); }
  bool contains(SlotId slot) const noexcept { return slot < pos_.size() && pos_[slot] != kAbsent; }

  const Key& key(SlotId slot) const noexcept { return heap_[pos_[slot]].key; }
  SlotId top() const noexcept { return heap_.front().slot; }
  const Key& topKey() const noexcept { return heap_.front().key; }

  void push(SlotId slot, const Key& key) {
    if (slot >= pos_.size()) pos_.resize(static_cast<std::size_t>(slot) + 1 + pos_.size() / 2, kAbsent);
    heap_.emplace_back();
    placeUp(static_cast<std::uint32_t>(heap_.size() - 1), Node{key, slot});
  }

  // Changes the key of a member and restores the heap order.
  void update(SlotId slot, const Key& key) noexcept {
    place(pos_[slot], Node{key, slot});
  }

  void erase(SlotId slot) noexcept {
    const std::uint32_t at = pos_[slot];
    pos_[slot] = kAbsent;
    const auto last = static_cast<std::uint32_t>(heap_.size() - 1);
    if (at != last) {
      const Node moved = heap_[last];
      heap_.pop_back();
      place(at, moved);
    } else {
      heap_.pop_back();
    }
  }

  // Removes and returns top().
  SlotId pop() noexcept {
    const SlotId slot = heap_.front().slot;
    pos_[slot] = kAbsent;
    const Node last = heap_.back();
    heap_.pop_back();
    const auto n = static_cast<std::uint32_t>(heap_.size());
    if (n == 0) return slot;
    // Move the hole at the root down to a leaf, then put the last node there.
    std::uint32_t at = 0;
    for (std::uint32_t child = kArity * at + 1; child < n; child = kArity * at + 1) {
      const std::uint32_t best = smallestChild(child, n);
      heap_[at] = heap_[best];
      pos_[heap_[at].slot] = at;
      at = best;
    }
    placeUp(at, last);
    return slot;
  }

  void clear() noexcept {
    for (const Node& n : heap_) pos_[n.slot] = kAbsent;
    heap_.clear();
  }

  // Appends every member in pop order (first to evict first). Clears nothing.
  void sortedSlots(std::vector<SlotId>& out) const {
    std::vector<Node> copy(heap_);
    std::sort(copy.begin(), copy.end(), [this](const Node& a, const Node& b) { return before_(a.key, b.key); });
    for (const Node& n : copy) out.push_back(n.slot);
  }

 private:
  static constexpr std::uint32_t kAbsent = 0xffffffffu;
  static constexpr std::uint32_t kArity = 4;

  // The child (from `first`, the first of up to kArity) whose key comes first.
  std::uint32_t smallestChild(std::uint32_t first, std::uint32_t n) const noexcept {
    std::uint32_t best = first;
    const std::uint32_t end = std::min(first + kArity, n);
    for (std::uint32_t c = first + 1; c < end; ++c) best = before_(heap_[c].key, heap_[best].key) ? c : best;
    return best;
  }

  // The node's new place is the hole `at`: it moves up while it comes
  // before its parent, or else down while a child comes before it. The node
  // is passed by value, never re-read from heap_[at]: a key just written
  // there in two 8-byte halves and read back as one 16-byte load stalls on
  // store forwarding (a third of update()'s time in GDSF's shadows).
  void place(std::uint32_t at, const Node& node) noexcept {
    if (at > 0 && before_(node.key, heap_[(at - 1) / kArity].key)) {
      placeUp(at, node);
    } else {
      placeDown(at, node);
    }
  }

  void placeUp(std::uint32_t at, const Node& node) noexcept {
    while (at > 0) {
      const std::uint32_t parent = (at - 1) / kArity;
      if (!before_(node.key, heap_[parent].key)) break;
      heap_[at] = heap_[parent];
      pos_[heap_[at].slot] = at;
      at = parent;
    }
    heap_[at] = node;
    pos_[node.slot] = at;
  }

  void placeDown(std::uint32_t at, const Node& node) noexcept {
    const auto n = static_cast<std::uint32_t>(heap_.size());
    while (true) {
      const std::uint32_t first = kArity * at + 1;
      if (first >= n) break;
      const std::uint32_t child = smallestChild(first, n);
      if (!before_(heap_[child].key, node.key)) break;
      heap_[at] = heap_[child];
      pos_[heap_[at].slot] = at;
      at = child;
    }
    heap_[at] = node;
    pos_[node.slot] = at;
  }

  std::vector<Node> heap_;
  std::vector<std::uint32_t> pos_;  // slot -> index in heap_, kAbsent when not a member
  [[no_unique_address]] Before before_{};
};

}  // namespace edgecache::cachelib
