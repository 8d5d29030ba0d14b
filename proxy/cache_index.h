#pragma once
// CacheIndex: the proxy's in-memory index of stored responses, built on the
// SAME cachelib::Cache (and policy code) the simulator uses.
//
//  - cachelib::Cache decides residency: key = StoredObject::variantId,
//    size = body bytes; its byte capacity is the proxy's cache capacity.
//    Hot resize() and setPolicy() come from the control loop / admin API.
//  - Beside it, a map variantId -> shared_ptr<const StoredObject> (metadata
//    lives in memory, so a hit touches the store only to read the body) and
//    primaryHash -> variants (Vary secondary keys, invalidation).
//  - Eviction (policy, resize, replacement, dropVariant) drops the index's
//    reference; the body is erased from the BodyStore when the last reader
//    releases it (StoredBody), so eviction never cuts a response short and
//    a caller still holding a dropped object may serve it once.
//  - Invalidation (invalidate, purgeAll) also erases the body from the
//    store at once: a crash while a reader still holds it must not bring an
//    invalidated response back at the next start-up. Readers already
//    streaming it keep their bytes (BodyStore: erase does not cut a Reader
//    short); one that found it just before and opens it just after gets an
//    error and fetches it anew.
//
// Thread safety: every method is thread safe. One reader/writer lock guards
// the Cache and the maps. find() (the hit path) takes it shared, so I/O
// threads looking up objects never wait on each other; the policy update of
// a hit (cachelib lookup: LRU order, hit counts) is queued in the calling
// thread's buffer and applied under the exclusive lock before any change to
// the index: at the next insert, invalidate, dropVariant, purgeAll, resize,
// setPolicy or snapshot, or when kHitBatch hits have queued on one thread
// and the lock is free (try_lock: the hit path never blocks on it). Requests
// served one at a time therefore reach the policy in exactly the order the
// simulator sees them (every insert first applies the hits before it).
// Writers hold the lock for O(1) work per request plus the queued hits
// (O(evicted objects) for a shrink, O(resident objects) for a policy
// switch). Store erases and StoredObject destruction always happen after
// the lock is released. No exceptions beyond bad_alloc.
//
// FetchCollapser: request collapsing of concurrent misses for one key.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cachelib/cache.h"
#include "proxy/body_store.h"
#include "proxy/http_headers.h"
#include "proxy/per_thread_buffer.h"
#include "proxy/stored_object.h"

namespace edgecache::proxy {

struct CacheIndexConfig {
  std::uint64_t capacityBytes = 1ull << 30;  // cachelib byte capacity
  cachelib::PolicyId policy = 0;             // registry id (0 = lru)
};

struct CacheIndexSnapshot {
  std::uint64_t capacityBytes = 0;
  std::uint64_t usedBytes = 0;
  std::uint64_t objects = 0;
  cachelib::PolicyId policy = 0;
  cachelib::CacheStats stats;
};

class CacheIndex {
 public:
  // Fails on an unknown policy id. `store` must outlive the index.
  static Result<std::unique_ptr<CacheIndex>> create(const CacheIndexConfig& config, BodyStore& store);
  CacheIndex(std::unique_ptr<cachelib::Cache> cache, BodyStore& store);
  // Disarms body erasure first: shutting down keeps the store's contents.
  ~CacheIndex();

  struct RebuildStats {
    std::uint64_t loaded = 0;   // objects indexed
    std::uint64_t dropped = 0;  // corrupt / duplicate / not admitted, erased from the store
    // Empty, or the store's one-line error when its scan stopped early: the
    // index then holds only what was read before it (objects not reached
    // stay in the store, unindexed, for the next start-up).
    std::string scanError;
  };
  // Start-up: indexes every object of the store (BodyStore::forEach).
  // Corrupt metadata, bodies whose size disagrees with it, and older
  // duplicates of a variant (by response time, then write order) are erased. Call before serving. Never fails:
  // a store error leaves a partial index and is reported in scanError.
  RebuildStats rebuild();

  // The stored variant selected by the request's Vary-relevant headers, or
  // null. A hit's policy update (cachelib lookup) is queued, see above: it
  // has happened for every later insert/resize/setPolicy/snapshot. O(Vary
  // fields) under the shared lock.
  std::shared_ptr<const StoredObject> find(std::string_view primaryKey, const HttpHeaders& requestHeaders,
                                           double nowSeconds);

  // A fresh store id for a new body (random, never 0).
  std::uint64_t newStoreId() noexcept;
  // The owner of a newly committed body: its release erases the body.
  std::shared_ptr<StoredBody> adoptBody(std::uint64_t storeId);

  // Admits a committed object (replacing the same variant). False when the
  // cache cannot hold it (bigger than the capacity); its body is then erased
  // once `object` is released.
  bool insert(std::shared_ptr<const StoredObject> object, double nowSeconds);
  // Swaps in updated metadata for a resident object with the same body (after
  // a 304 merge), then persists it to the store (outside the lock; a store
  // error is ignored: the store keeps the older metadata, which is only
  // staler). False, touching neither, if the variant is gone or holds
  // another body: a 304 that lost a race with a replacement must not make
  // the replaced copy look newer to the next start-up's rebuild.
  bool replaceMetadata(std::shared_ptr<const StoredObject> updated);
  // Removes every variant of a primary key; returns how many.
  std::size_t invalidate(std::string_view primaryKey);
  // Removes one variant if it still holds `object`'s body (a body that
  // turned out corrupt, or a stored response the rules say not to keep).
  void dropVariant(const StoredObject& object);
  // Removes everything; returns how many objects.
  std::size_t purgeAll();

  void resize(std::uint64_t capacityBytes);
  Status setPolicy(cachelib::PolicyId policy);
  CacheIndexSnapshot snapshot() const;
  BodyStore& store() noexcept { return store_; }

 private:
  struct Primary {
    std::vector<std::string> varyNames;  // of the most recently stored variant
    std::vector<std::uint64_t> variants;
  };
  using Graveyard = std::vector<std::shared_ptr<const StoredObject>>;

  // Hits queued per thread before the hit path tries to apply them; at
  // kMaxQueuedHits per thread it waits for the exclusive lock instead.
  static constexpr std::size_t kHitBatch = 64;
  static constexpr std::size_t kMaxQueuedHits = 4096;

  // Requires mutex_ exclusively. Moves the object out of the maps into graveyard_.
  void forgetLocked(std::uint64_t variantId);
  // Requires mutex_ exclusively. Applies the queued hits to the policy, in
  // each thread's order; hits on objects gone since are skipped.
  void applyQueuedHitsLocked() const;
  // Call with mutex_ NOT held: releases what eviction collected.
  void buryOutsideLock(Graveyard& graveyard) noexcept;
  // Call with mutex_ NOT held: erases the bodies of invalidated objects
  // (they must not come back after a crash), then releases them.
  void eraseAndBuryOutsideLock(Graveyard& graveyard) noexcept;

  BodyStore& store_;
  std::shared_ptr<std::atomic<bool>> eraseArmed_ = std::make_shared<std::atomic<bool>>(true);
  mutable std::shared_mutex mutex_;
  std::unique_ptr<cachelib::Cache> cache_;
  mutable PerThreadBuffer<cachelib::Request> queuedHits_;
  mutable std::vector<cachelib::Request> applying_;  // under mutex_: scratch for applyQueuedHitsLocked
  std::unordered_map<std::uint64_t, std::shared_ptr<const StoredObject>> objects_;
  std::unordered_map<std::uint64_t, Primary> primaries_;
  Graveyard graveyard_;  // filled under mutex_, emptied outside it
  std::atomic<std::uint64_t> idCounter_;
};

// Concurrent misses for one key collapse into one origin fetch: the first
// caller leads, later ones register a notification that runs (on the
// leader's thread, once) when the leader finishes. Waiters then look the key
// up again. Thread safe; notifications run without the internal lock held.
class FetchCollapser {
 public:
  using Notify = std::function<void()>;
  // True: the caller leads and must call finish(key) exactly once.
  // False: `notify` will be called once by finish(key).
  bool joinOrLead(std::uint64_t key, Notify notify);
  // Leads only when nobody does (background refresh); never waits.
  bool tryLead(std::uint64_t key);
  void finish(std::uint64_t key);
  std::size_t inFlight() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::vector<Notify>> inFlight_;
};

}  // namespace edgecache::proxy
