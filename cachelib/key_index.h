#pragma once
// KeyIndex: the cache's key -> SlotId map. Open addressing with linear
// probing and backward-shift deletion, so heavy insert/erase churn (every
// miss of a full cache inserts one key and erases at least one) leaves no
// tombstones behind: probe lengths stay short forever and no periodic
// cleanup pass runs. Load factor is kept at or below 1/2.
//
// 16 bytes per bucket. Not thread-safe (guarded by the Cache's caller).
// find/insert/erase are O(1) expected; growth rehashes O(n) (amortised).

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cachelib/policy.h"

namespace edgecache::cachelib {

class KeyIndex {
 public:
  KeyIndex() { buckets_.resize(kMinBuckets); mask_ = kMinBuckets - 1; }

  std::size_t size() const noexcept { return size_; }
  bool contains(std::uint64_t key) const noexcept { return find(key) != kNoSlot; }

  // kNoSlot when absent.
  SlotId find(std::uint64_t key) const noexcept {
    for (std::size_t i = home(key);; i = (i + 1) & mask_) {
      const Bucket& b = buckets_[i];
      if (b.slot == kNoSlot) return kNoSlot;
      if (b.key == key) return b.slot;
    }
  }

  // Precondition: key absent, slot != kNoSlot.
  void insert(std::uint64_t key, SlotId slot) {
    if ((size_ + 1) * 2 > buckets_.size()) grow();
    std::size_t i = home(key);
    while (buckets_[i].slot != kNoSlot) i = (i + 1) & mask_;
    buckets_[i] = Bucket{key, slot};
    ++size_;
  }

  // Returns the removed slot, or kNoSlot when absent.
  SlotId erase(std::uint64_t key) noexcept {
    std::size_t i = home(key);
    for (;; i = (i + 1) & mask_) {
      if (buckets_[i].slot == kNoSlot) return kNoSlot;
      if (buckets_[i].key == key) break;
    }
    const SlotId removed = buckets_[i].slot;
    // Backward shift: pull later entries of the probe run into the hole
    // unless their home position lies cyclically in (hole, j].
    std::size_t hole = i;
    for (std::size_t j = (i + 1) & mask_; buckets_[j].slot != kNoSlot; j = (j + 1) & mask_) {
      const std::size_t h = home(buckets_[j].key);
      const bool movable = ((j - h) & mask_) >= ((j - hole) & mask_);
      if (movable) {
        buckets_[hole] = buckets_[j];
        hole = j;
      }
    }
    buckets_[hole].slot = kNoSlot;
    --size_;
    return removed;
  }

  template <typename Fn>
  void forEach(Fn&& fn) const {
    for (const Bucket& b : buckets_)
      if (b.slot != kNoSlot) fn(b.key, b.slot);
  }

 private:
  struct Bucket {
    std::uint64_t key = 0;
    SlotId slot = kNoSlot;
  };
  static constexpr std::size_t kMinBuckets = 64;

  // Fibonacci hashing of a splitmix-style mix: trace keys are often small
  // dense integers or already-hashed values; both spread well.
  std::size_t home(std::uint64_t key) const noexcept {
    key ^= key >> 31;
    key *= 0x9e3779b97f4a7c15ull;
    return static_cast<std::size_t>(key >> shift_) & mask_;
  }

  void grow() {
    std::vector<Bucket> old = std::move(buckets_);
    buckets_.assign(old.size() * 2, Bucket{});
    mask_ = buckets_.size() - 1;
    shift_ = 64 - static_cast<unsigned>(std::countr_zero(buckets_.size()));
    for (const Bucket& b : old) {
      if (b.slot == kNoSlot) continue;
      std::size_t i = home(b.key);
      while (buckets_[i].slot != kNoSlot) i = (i + 1) & mask_;
      buckets_[i] = b;
    }
  }

  std::vector<Bucket> buckets_;
  std::size_t mask_ = 0;
  unsigned shift_ = 64 - 6;  // log2(kMinBuckets)
  std::size_t size_ = 0;
};

}  // namespace edgecache::cachelib
