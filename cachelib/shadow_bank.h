#pragma once
// ShadowBank: the what-if caches behind WindowFeatureTracker — one small
// cache per (policy, capacity) pair, all fed from the same stream of sampled
// requests — with ONE key index shared by every shadow instead of one hash
// map per shadow.
//
// Why one index: with 8 policies x 12 capacities, a sampled request costs up
// to 96 cache accesses; with a Cache per shadow that is ~96 hash lookups plus
// an insert and an erase per miss, and the hash maps were most of the
// features' cost. Here a sampled key is hashed once into a dense id; each
// shadow maps id -> its own slot through a flat array, so a shadow access is
// an array load plus the policy's own work. At sampling rate 1 a shadow gives
// results identical to a Cache with the same policy and capacity (same
// admission rule, same slot recycling order, so the policy sees the same
// calls; tested).
//
// Sampling (key_sampling.h): the bank is fed the keys whose sampleHash is
// below `sampleThreshold` (rate R). Shadow i has its own rate
// R / 2^level(i): it sees only the keys below threshold >> level(i) and its
// capacity is its full-scale capacity x its rate. Levels start at 0 and only
// rise (lowerRate), which drops the keys above the new threshold — the
// contents are then what the shadow would hold had it been fed the smaller
// sample from the start (for LRU exactly, for the other policies up to their
// internal state such as ghost lists and ARC's target split, which
// re-converges; "miniature simulation", Waldspurger et al., USENIX ATC'17).
//
// The policies see the ids as their request keys (Policy::useKeyIds): ARC's
// and S3-FIFO's ghost lists then index their ghosts by id in an array
// instead of hashing the key (15-18% less time per access in those shadows;
// bench/RESULTS.md). A policy retains the id of a key it remembers without
// holding the object.
//
// Ids are recycled once no shadow holds the key (resident, or remembered as
// a ghost), so the shared index and the per-shadow arrays stay proportional
// to the largest shadow's population plus its ghosts, not to every key ever
// sampled. Memory: per id, 12 B shared plus 4 B per shadow (8 B in a shadow
// with ghosts); per resident object, 16 B plus the policy's metadata.
//
// Not thread-safe; one bank per tracker. access() and lowerRate() are noexcept.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "cachelib/cache.h"
#include "cachelib/key_sampling.h"
#include "cachelib/policy.h"
#include "cachelib/request.h"

namespace edgecache::cachelib {

class ShadowBank : private KeyIdRefs {
 public:
  struct Spec {
    PolicyId policy = 0;
    std::uint64_t capacityBytes = 0;  // full scale; the shadow holds capacityBytes x its rate
    bool active = true;               // false: not fed until activate()
  };
  struct SeedObject {
    std::uint64_t key = 0;
    std::uint64_t bytes = 0;
  };
  // Highest level a shadow can reach (rate R / 2^kMaxLevel).
  static constexpr std::uint32_t kMaxLevel = 16;

  // `sampleThreshold` (key_sampling.h) is the rate R of the keys access() is
  // given, sampled with sampleHash(key, salt); kSampleHashRange means every
  // key (rate 1). Unknown or offline policy ids give an inert shadow
  // (valid() false), not an error.
  ShadowBank(std::span<const Spec> specs, std::uint32_t sampleThreshold, std::uint64_t salt = 0);
  ~ShadowBank();
  ShadowBank(const ShadowBank&) = delete;
  ShadowBank& operator=(const ShadowBank&) = delete;

  // Feeds the batch, in order, to every shadow whose rate includes the key
  // (shadow by shadow, so each shadow's state stays in the CPU caches for the
  // whole batch). Every request must be in the bank's sample
  // (sampleHash(key, salt) < sampleThreshold). O(batch x shadows) policy calls.
  void access(std::span<const Request> batch) noexcept;

  // Halves shadow i's rate `halvings` times (capped at kMaxLevel): drops the
  // resident keys above the new threshold, shrinks the capacity, and lets
  // the policy evict if it is still over. O(objects held by shadow i).
  void lowerRate(std::size_t i, std::uint32_t halvings) noexcept;

  // Starts an inactive shadow at `level` holding `coldToHot` (inserted in
  // that order, coldest first, as misses that are not counted; keys above
  // the level's threshold are skipped). For a shadow that must join a
  // stream mid-way with a known warm state (an LRU's is its recency order).
  void activate(std::size_t i, std::uint32_t level, std::span<const SeedObject> coldToHot) noexcept;

  std::size_t size() const noexcept { return shadows_.size(); }
  bool active(std::size_t i) const noexcept;
  bool valid(std::size_t i) const noexcept;
  // Counts since the last resetStats(), over the requests shadow i was fed.
  const CacheStats& stats(std::size_t i) const noexcept;
  void resetStats() noexcept;
  std::uint64_t usedBytes(std::size_t i) const noexcept;
  std::uint64_t capacityBytes(std::size_t i) const noexcept;  // scaled
  std::size_t objectCount(std::size_t i) const noexcept;
  std::uint32_t level(std::size_t i) const noexcept;
  double samplingRate(std::size_t i) const noexcept;  // R / 2^level(i), effective (threshold / 2^24)
  // Keys currently indexed (held by at least one shadow, after access()).
  std::size_t indexedKeys() const noexcept { return ids_.size(); }

 private:
  struct Shadow;
  std::uint32_t idOf(std::uint64_t key) noexcept;
  // KeyIdRefs: a policy remembers (or forgets) id without holding its object.
  void retain(std::uint64_t id) noexcept override { ++holders_[id]; }
  void release(std::uint64_t id) noexcept override {
    if (--holders_[id] == 0) maybeUnheld_.push_back(static_cast<std::uint32_t>(id));
  }
  // Feeds shadow s the requests byId_[positions[k]] (ids in batchIds_), in order.
  void feed(Shadow& s, std::span<const std::uint32_t> positions) noexcept;
  void admit(Shadow& s, const Request& r, std::uint32_t id) noexcept;
  void evictOne(Shadow& s) noexcept;
  void release(Shadow& s, SlotId slot) noexcept;  // frees a slot the policy no longer holds
  void growIds(std::size_t count);
  void releaseUnheld() noexcept;
  std::uint32_t thresholdOf(std::uint32_t level) const noexcept { return threshold_ >> level; }

  std::uint32_t threshold_;                                 // rate R of the keys fed to access()
  std::uint64_t salt_;
  std::uint32_t maxLevel_;                                  // highest level that keeps a threshold >= 1
  std::vector<std::unique_ptr<Shadow>> shadows_;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> ids_;  // key -> dense id
  std::vector<std::uint64_t> keyOf_;                        // id -> key
  std::vector<std::uint32_t> holders_;                      // id -> shadows holding it, plus policies' retains
  std::vector<std::uint32_t> freeIds_;
  std::uint32_t nextId_ = 0;                                // ids below it have been handed out
  std::vector<std::uint32_t> batchIds_;                     // ids of the batch being fed
  std::vector<Request> byId_;                               // the batch with each key replaced by its id
  std::vector<std::vector<std::uint32_t>> byLevel_;         // [level] batch positions in that level's sample
  std::vector<std::uint32_t> maybeUnheld_;                  // ids whose holder count reached 0
};

}  // namespace edgecache::cachelib
