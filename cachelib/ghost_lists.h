#pragma once
// GhostLists: ordered lists of keys of objects that are no longer resident
// ("ghosts"), each with the byte size the object had, used by the adaptive
// policies (ARC's B1/B2, S3-FIFO's ghost FIFO) to recognise a returning key.
// A key is in at most one list. Nodes live in one pooled array linked by
// index, so steady-state operation does not allocate.
//
// "front" is the most recently added end, "back" the oldest end.
// Complexity: every operation O(1) expected (one probe sequence of an
// open-addressing index; see removeBucket() for why not a general hash map).
// With dense key ids (useKeyIds(), policy.h's KeyIdRefs) the index is an
// array by id instead: no hashing, no probing, and a key not in the lists
// costs one array load. That is the shadow caches' case, where the ghost
// lists were about half of ARC's and S3-FIFO's time per access.
// Memory per ghost: kBytesPerGhost (node + index buckets), excluded from the
// policies' metadataBytesPerObject (which counts resident objects only).
// Not thread safe; the owning policy is called under the cache's lock.

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cachelib/policy.h"

namespace edgecache::cachelib {

class GhostLists {
 public:
  static constexpr int kNotFound = -1;

  explicit GhostLists(std::size_t listCount) : ends_(listCount) {}

  // Keys are dense ids from now on (see policy.h's KeyIdRefs): every key in
  // the lists is retained through `refs` and released when it leaves them.
  // Call while the lists are empty.
  void useKeyIds(KeyIdRefs* refs) noexcept { refs_ = refs; }

  std::size_t size(std::size_t list) const noexcept { return ends_[list].count; }
  bool empty(std::size_t list) const noexcept { return ends_[list].count == 0; }
  std::uint64_t bytes(std::size_t list) const noexcept { return ends_[list].bytes; }

  // The list holding `key`, or kNotFound.
  int find(std::uint64_t key) const noexcept {
    if (refs_ != nullptr) {
      const std::uint32_t n = key < nodeOf_.size() ? nodeOf_[key] : kNil;
      return n == kNil ? kNotFound : static_cast<int>(nodes_[n].list);
    }
    const std::size_t b = bucketOf(key);
    return b == kNoBucket ? kNotFound : static_cast<int>(nodes_[table_[b].node].list);
  }

  // Adds `key` at the front of `list`; a key already present elsewhere is
  // moved (keys stay unique).
  void pushFront(std::size_t list, std::uint64_t key, std::uint64_t bytes) {
    if (refs_ != nullptr) {
      if (key >= nodeOf_.size()) nodeOf_.resize(std::max<std::size_t>(key + 1, 2 * nodeOf_.size()), kNil);
      if (nodeOf_[key] != kNil) {
        unlink(nodeOf_[key]);  // moved: stays retained
      } else {
        refs_->retain(key);
      }
      nodeOf_[key] = link(list, key, bytes);
      return;
    }
    if (2 * (indexed_ + 1) > table_.size()) grow();
    // One probe sequence finds the key or the empty bucket it goes to.
    const std::uint32_t tag = tagOf(key);
    std::size_t b = homeOf(tag);
    while (table_[b].node != kNil) {
      if (table_[b].tag == tag && nodes_[table_[b].node].key == key) break;
      b = (b + 1) & mask_;
    }
    if (table_[b].node != kNil) {
      unlink(table_[b].node);
    } else {
      ++indexed_;
    }
    table_[b] = Bucket{link(list, key, bytes), tag};
  }

  // Removes `key`; returns the list it was in, or kNotFound.
  int erase(std::uint64_t key) noexcept {
    if (refs_ != nullptr) {
      if (key >= nodeOf_.size() || nodeOf_[key] == kNil) return kNotFound;
      const std::uint32_t n = nodeOf_[key];
      nodeOf_[key] = kNil;
      const int list = static_cast<int>(nodes_[n].list);
      unlink(n);
      refs_->release(key);
      return list;
    }
    const std::size_t b = bucketOf(key);
    if (b == kNoBucket) return kNotFound;
    const std::uint32_t n = table_[b].node;
    removeBucket(b);
    const int list = static_cast<int>(nodes_[n].list);
    unlink(n);
    return list;
  }

  // Drops the oldest ghost of a non-empty list.
  void popBack(std::size_t list) noexcept {
    const std::uint32_t n = ends_[list].back;
    const std::uint64_t key = nodes_[n].key;
    if (refs_ != nullptr) {
      nodeOf_[key] = kNil;
      unlink(n);
      refs_->release(key);
      return;
    }
    removeBucket(bucketOf(key));
    unlink(n);
  }

  void clear() noexcept {
    if (refs_ != nullptr) {
      for (Ends& e : ends_)
        for (std::uint32_t n = e.back; n != kNil; n = nodes_[n].newer) {
          nodeOf_[nodes_[n].key] = kNil;
          refs_->release(nodes_[n].key);
        }
    }
    nodes_.clear();
    free_.clear();
    for (Bucket& b : table_) b.node = kNil;
    indexed_ = 0;
    for (Ends& e : ends_) e = Ends{};
  }

  // Pooled node plus at least two 8-byte buckets of the index (load <= 1/2).
  static constexpr std::size_t kBytesPerGhost = 32 + 16;

 private:
  static constexpr std::uint32_t kNil = 0xffffffffu;
  struct Node {
    std::uint64_t key;
    std::uint64_t bytes;
    std::uint32_t newer;
    std::uint32_t older;
    std::uint32_t list;
  };
  static_assert(sizeof(Node) <= 32, "kBytesPerGhost assumes a 32-byte node");
  // Index bucket: a node and the top 32 bits of its key's hash (the home
  // bucket is the tag's top bits, so moving a bucket never reads the node).
  struct Bucket {
    std::uint32_t node = kNil;  // kNil = empty
    std::uint32_t tag = 0;
  };
  static constexpr std::size_t kNoBucket = ~std::size_t{0};
  struct Ends {
    std::uint32_t front = kNil;
    std::uint32_t back = kNil;
    std::size_t count = 0;
    std::uint64_t bytes = 0;
  };

  // Puts a new node for `key` at the front of `list`; returns it.
  std::uint32_t link(std::size_t list, std::uint64_t key, std::uint64_t bytes) {
    std::uint32_t n;
    if (!free_.empty()) {
      n = free_.back();
      free_.pop_back();
    } else {
      n = static_cast<std::uint32_t>(nodes_.size());
      nodes_.emplace_back();
    }
    Ends& e = ends_[list];
    nodes_[n] = Node{key, bytes, kNil, e.front, static_cast<std::uint32_t>(list)};
    if (e.front != kNil) nodes_[e.front].newer = n; else e.back = n;
    e.front = n;
    ++e.count;
    e.bytes += bytes;
    return n;
  }

  void unlink(std::uint32_t n) noexcept {
    const Node node = nodes_[n];
    Ends& e = ends_[node.list];
    if (node.newer != kNil) nodes_[node.newer].older = node.older; else e.front = node.older;
    if (node.older != kNil) nodes_[node.older].newer = node.newer; else e.back = node.newer;
    --e.count;
    e.bytes -= node.bytes;
    free_.push_back(n);
  }

  // A 64-bit finaliser (MurmurHash3's fmix64). Not key_sampling.h's mixKey:
  // the keys of a shadow cache's ghosts are exactly those whose mixKey is
  // small, so it would crowd them into a few home buckets.
  static std::uint32_t tagOf(std::uint64_t key) noexcept {
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdull;
    key ^= key >> 33;
    key *= 0xc4ceb9fe1a85ec53ull;
    key ^= key >> 33;
    return static_cast<std::uint32_t>(key >> 32);
  }
  std::size_t homeOf(std::uint32_t tag) const noexcept { return tag >> shift_; }

  std::size_t bucketOf(std::uint64_t key) const noexcept {
    if (indexed_ == 0) return kNoBucket;
    const std::uint32_t tag = tagOf(key);
    for (std::size_t b = homeOf(tag);; b = (b + 1) & mask_) {
      const Bucket& k = table_[b];
      if (k.node == kNil) return kNoBucket;
      if (k.tag == tag && nodes_[k.node].key == key) return b;
    }
  }

  // Linear probing with backward-shift deletion: no tombstones, so a table
  // under constant insert/erase churn (every eviction pushes a ghost and
  // drops the oldest) never needs rehashing in place.
  void removeBucket(std::size_t hole) noexcept {
    --indexed_;
    for (std::size_t b = (hole + 1) & mask_; table_[b].node != kNil; b = (b + 1) & mask_) {
      // The entry at b may fill the hole iff the hole is not before its home
      // (cyclically, between home and b).
      if (((b - homeOf(table_[b].tag)) & mask_) >= ((b - hole) & mask_)) {
        table_[hole] = table_[b];
        hole = b;
      }
    }
    table_[hole].node = kNil;
  }

  void grow() {
    std::vector<Bucket> old = std::move(table_);
    const std::size_t size = std::max<std::size_t>(16, 2 * old.size());
    table_.assign(size, Bucket{});
    mask_ = size - 1;
    shift_ = 32 - static_cast<unsigned>(std::countr_zero(size));
    for (const Bucket& k : old) {
      if (k.node == kNil) continue;
      std::size_t b = homeOf(k.tag);
      while (table_[b].node != kNil) b = (b + 1) & mask_;
      table_[b] = k;
    }
  }

  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  std::vector<Bucket> table_;  // power-of-two size, at most half full
  std::size_t mask_ = 0;
  unsigned shift_ = 32;
  std::size_t indexed_ = 0;    // keys in the index (= nodes in lists)
  std::vector<Ends> ends_;
  KeyIdRefs* refs_ = nullptr;          // set: keys are dense ids, indexed by nodeOf_
  std::vector<std::uint32_t> nodeOf_;  // dense ids: key -> node, kNil if not a ghost
};

}  // namespace edgecache::cachelib
