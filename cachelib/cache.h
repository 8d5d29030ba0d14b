#pragma once
// Cache: a byte-capacity object cache whose capacity (resize) and replacement
// policy (setPolicy) can change at any moment without a flush. It keeps the
// key index and byte accounting; the Policy only orders objects.
//
// Thread safety: none inside. One thread at a time per Cache (the simulator
// owns one per thread; the proxy guards its Cache with a mutex). All request
// path methods are noexcept and allocation-free in steady state.
//
// Admission (the libCacheSim convention, so miss counts match its figures):
// on a miss the object is admitted after evicting until it fits; an object
// whose charged size exceeds the whole capacity is not admitted. A hit keeps
// the stored size. charged size = object bytes + metadataBytesPerObject.

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include "cachelib/policy.h"
#include "cachelib/request.h"
#include "cachelib/status.h"

namespace edgecache::cachelib {

struct CacheConfig {
  std::uint64_t capacityBytes = 1ull << 30;  // byte capacity; 0 admits nothing
  PolicyId policy = 0;                       // registry id (0 = lru)
  std::uint32_t metadataBytesPerObject = 0;  // overhead charged per object (libCacheSim: 0)
};

struct CacheStats {
  std::uint64_t requests = 0;
  std::uint64_t hits = 0;
  std::uint64_t bytesRequested = 0;  // sum of request sizes
  std::uint64_t bytesHit = 0;        // sum of request sizes of hits
  std::uint64_t evictions = 0;       // objects removed by the policy (resize included)
  std::uint64_t misses() const noexcept { return requests - hits; }
  std::uint64_t missBytes() const noexcept { return bytesRequested - bytesHit; }
};

class Cache {
 public:
  // Called for every object the policy evicts (not for erase()), with the
  // cache's caller lock held; used by the proxy to delete from its store.
  using EvictionListener = std::function<void(std::uint64_t key, std::uint64_t sizeBytes)>;

  // Fails on an unknown policy id.
  static Result<std::unique_ptr<Cache>> create(const CacheConfig& config);
  explicit Cache(const CacheConfig& config, std::unique_ptr<Policy> policy);

  // Simulator path: look up, count, and on a miss admit. Returns true on a hit.
  bool access(const Request& request) noexcept;
  // Proxy path, split in two: lookup() counts and updates the policy on a hit
  // but admits nothing; insert() admits after the body is fetched.
  bool lookup(const Request& request) noexcept;
  // Admits (evicting as needed). Returns false if it does not fit at all. If
  // the key is resident it is replaced (erased, then admitted at the new size).
  bool insert(const Request& request) noexcept;
  // Removes a resident key without counting an eviction. False if absent.
  bool erase(std::uint64_t key) noexcept;
  bool contains(std::uint64_t key) const noexcept { return index_.contains(key); }

  // Hot resize: shrinking evicts by the current policy until resident bytes
  // fit; growing keeps everything. O(evicted objects).
  void resize(std::uint64_t capacityBytes) noexcept;
  // Hot policy switch keeping every resident object and its accounting; the
  // new policy is seeded from the old policy's eviction order (coldest first).
  // Fails (and changes nothing) for an unknown id. O(resident objects).
  Status setPolicy(PolicyId id);

  // A deep copy (index, accounting, policy state; not the listener). Fails
  // if the policy cannot be cloned. O(resident objects).
  Result<std::unique_ptr<Cache>> clone() const;

  void setEvictionListener(EvictionListener listener) { onEvict_ = std::move(listener); }

  std::uint64_t capacityBytes() const noexcept { return capacity_; }
  std::uint64_t usedBytes() const noexcept { return used_; }
  std::uint64_t objectCount() const noexcept { return index_.size(); }
  PolicyId policyId() const noexcept { return policy_->id(); }
  const Policy& policy() const noexcept { return *policy_; }
  const CacheStats& stats() const noexcept { return stats_; }
  void resetStats() noexcept { stats_ = {}; }
  std::uint32_t metadataBytesPerObject() const noexcept { return metadataBytes_; }
  // Resident keys with their object sizes (order unspecified). O(n).
  void forEachObject(const std::function<void(std::uint64_t key, std::uint64_t sizeBytes)>& fn) const;

 private:
  struct Entry {
    std::uint64_t key;
    std::uint64_t chargedBytes;
  };
  Cache(const Cache& other, std::unique_ptr<Policy> policy);
  bool admit(const Request& request) noexcept;
  // Takes a free slot (or a new one) for `key` and charges it.
  SlotId place(std::uint64_t key, std::uint64_t charged) noexcept;
  void evictOne() noexcept;
  void releaseSlot(SlotId slot) noexcept;

  std::unique_ptr<Policy> policy_;
  absl::flat_hash_map<std::uint64_t, SlotId> index_;
  std::vector<Entry> entries_;     // indexed by SlotId
  std::vector<SlotId> freeSlots_;
  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::uint32_t metadataBytes_;
  CacheStats stats_;
  EvictionListener onEvict_;
};

}  // namespace edgecache::cachelib
