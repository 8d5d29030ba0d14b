#pragma once
// ShadowBank: the what-if caches behind WindowFeatureTracker — one small
// cache per (policy, capacity) pair, all fed the same sampled requests — with
// ONE key index shared by every shadow instead of one hash map per shadow.
//
// Why: with 8 policies x 12 capacities, a sampled request costs 96 cache
// accesses; with a Cache per shadow that is ~96 hash lookups plus an insert
// and an erase per miss, and the hash maps were most of the features' cost.
// Here a sampled key is hashed once into a dense id; each shadow maps
// id -> its own slot through a flat array, so a shadow access is an array
// load plus the policy's own work. Results are identical to a Cache with the
// same policy and capacity (same admission rule, same slot recycling order,
// so the policy sees the same calls; tested).
//
// Ids are recycled once no shadow holds the key, so the shared index and the
// per-shadow arrays stay proportional to the largest shadow's population, not
// to every key ever sampled. Memory: per id, 12 B shared plus 4 B per shadow.
//
// Not thread-safe; one bank per tracker. access() is noexcept.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "cachelib/cache.h"
#include "cachelib/policy.h"
#include "cachelib/request.h"

namespace edgecache::cachelib {

class ShadowBank {
 public:
  struct Spec {
    PolicyId policy = 0;
    std::uint64_t capacityBytes = 0;  // the shadow's own (already scaled) capacity
  };
  // Unknown policy ids give an inert shadow (valid() false), not an error.
  explicit ShadowBank(std::span<const Spec> specs);
  ~ShadowBank();
  ShadowBank(const ShadowBank&) = delete;
  ShadowBank& operator=(const ShadowBank&) = delete;

  // Feeds the batch, in order, to every shadow (shadow by shadow, so each
  // shadow's state stays in the CPU caches for the whole batch).
  void access(std::span<const Request> batch) noexcept;

  std::size_t size() const noexcept { return shadows_.size(); }
  bool valid(std::size_t i) const noexcept;
  const CacheStats& stats(std::size_t i) const noexcept;
  void resetStats() noexcept;
  std::uint64_t usedBytes(std::size_t i) const noexcept;
  // Keys currently indexed (held by at least one shadow, after access()).
  std::size_t indexedKeys() const noexcept { return ids_.size(); }

 private:
  struct Shadow;
  std::uint32_t idOf(std::uint64_t key) noexcept;
  void access(Shadow& s, const Request& r, std::uint32_t id) noexcept;
  void growIds(std::size_t count);
  void releaseUnheld() noexcept;

  std::vector<std::unique_ptr<Shadow>> shadows_;
  absl::flat_hash_map<std::uint64_t, std::uint32_t> ids_;  // key -> dense id
  std::vector<std::uint64_t> keyOf_;                        // id -> key
  std::vector<std::uint32_t> holders_;                      // id -> shadows holding it
  std::vector<std::uint32_t> freeIds_;
  std::uint32_t nextId_ = 0;                                // ids below it have been handed out
  std::vector<std::uint32_t> batchIds_;                     // ids of the batch being fed
  std::vector<std::uint32_t> maybeUnheld_;                  // ids whose holder count reached 0
};

}  // namespace edgecache::cachelib
