#include "proxy/cache_index.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "proxy/vary.h"

namespace edgecache::proxy {
namespace {

std::string joinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::uint64_t splitmix(std::uint64_t key) noexcept {
  key += 0x9e3779b97f4a7c15ull;
  key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
  key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
  return key ^ (key >> 31);
}

std::uint64_t seedId() {
  std::random_device rd;
  const auto t = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return (std::uint64_t(rd()) << 32 ^ rd()) ^ (t * 0x9e3779b97f4a7c15ull);
}

}  // namespace

Result<std::unique_ptr<CacheIndex>> CacheIndex::create(const CacheIndexConfig& config, BodyStore& store) {
  cachelib::CacheConfig cc;
  cc.capacityBytes = config.capacityBytes;
  cc.policy = config.policy;
  auto cache = cachelib::Cache::create(cc);
  if (!cache) return cache.status();
  return std::make_unique<CacheIndex>(std::move(cache).value(), store);
}

CacheIndex::CacheIndex(std::unique_ptr<cachelib::Cache> cache, BodyStore& store)
    : store_(store), cache_(std::move(cache)), idCounter_(seedId()) {
  // Called by cachelib with mutex_ held (every Cache call below holds it).
  cache_->setEvictionListener([this](std::uint64_t key, std::uint64_t) { forgetLocked(key); });
}

CacheIndex::~CacheIndex() { eraseArmed_->store(false); }

std::uint64_t CacheIndex::newStoreId() noexcept {
  // Counter from a random start, finalised: unique within the process and
  // practically unique across restarts.
  std::uint64_t id = splitmix(idCounter_.fetch_add(1, std::memory_order_relaxed));
  return id == 0 ? 1 : id;
}

std::shared_ptr<StoredBody> CacheIndex::adoptBody(std::uint64_t storeId) {
  auto armed = eraseArmed_;
  BodyStore* store = &store_;
  return std::make_shared<StoredBody>(storeId, [armed, store](std::uint64_t id) {
    if (armed->load()) (void)store->erase(id);  // best effort: an orphan is re-indexed at start-up
  });
}

void CacheIndex::forgetLocked(std::uint64_t variantId) {
  auto it = objects_.find(variantId);
  if (it == objects_.end()) return;
  auto object = std::move(it->second);
  objects_.erase(it);
  auto pit = primaries_.find(primaryHash(object->primaryKey));
  if (pit != primaries_.end()) {
    auto& v = pit->second.variants;
    v.erase(std::remove(v.begin(), v.end(), variantId), v.end());
    if (v.empty()) primaries_.erase(pit);
  }
  graveyard_.push_back(std::move(object));
}

void CacheIndex::buryOutsideLock(Graveyard& graveyard) noexcept { graveyard.clear(); }

void CacheIndex::eraseAndBuryOutsideLock(Graveyard& graveyard) noexcept {
  // Not deferred to the last holder as eviction is: a kill -9 while a slow
  // client still streams the body would otherwise leave it in the store,
  // and the next start-up would serve an invalidated response again. The
  // release below erases once more: a no-op, unless a hot-tier fill raced
  // this erase and admitted a copy, which it then drops.
  if (eraseArmed_->load()) {
    for (const auto& object : graveyard) {
      if (object->body) (void)store_.erase(object->body->storeId());  // best effort, as the release
    }
  }
  graveyard.clear();
}

CacheIndex::RebuildStats CacheIndex::rebuild() {
  RebuildStats stats;
  std::vector<std::uint64_t> toErase;
  struct Candidate {
    std::uint64_t storeId;
    std::uint64_t writeOrder;
    StoredObject object;
  };
  std::unordered_map<std::uint64_t, Candidate> best;  // by variant
  const Status s = store_.forEach([&](std::uint64_t storeId, std::string_view metadata, std::uint64_t bodyBytes,
                                      std::uint64_t writeOrder) {
    auto decoded = decodeStoredObject(metadata);
    if (!decoded || decoded->bodyBytes != bodyBytes) {
      toErase.push_back(storeId);
      return;
    }
    // Two copies of a variant exist after a crash between a replacement's
    // commit and the erase of the body it replaced (deferred while readers
    // hold it). Times are whole seconds, so a replacement within the same
    // second ties: the later write decides, not the scan order.
    const auto newer = [](const StoredObject& a, std::uint64_t aOrder, const Candidate& b) {
      const auto at = a.response.responseTime, bt = b.object.response.responseTime;
      return at > bt || (at == bt && aOrder > b.writeOrder);
    };
    auto it = best.find(decoded->variantId);
    if (it == best.end()) {
      const auto variant = decoded->variantId;
      best.emplace(variant, Candidate{storeId, writeOrder, std::move(*decoded)});
    } else if (newer(*decoded, writeOrder, it->second)) {
      toErase.push_back(it->second.storeId);
      it->second = Candidate{storeId, writeOrder, std::move(*decoded)};
    } else {
      toErase.push_back(storeId);
    }
  });
  // A failed scan leaves a partial index, still consistent: serve what was
  // read rather than nothing, but say so (the caller logs it).
  if (!s.isOk()) stats.scanError = s.message();
  for (std::uint64_t id : toErase) (void)store_.erase(id);
  stats.dropped += toErase.size();
  for (auto& [variant, entry] : best) {
    auto object = std::make_shared<StoredObject>(std::move(entry.object));
    object->body = adoptBody(entry.storeId);
    if (insert(std::move(object), 0.0)) {
      ++stats.loaded;
    } else {
      ++stats.dropped;
    }
  }
  return stats;
}

std::shared_ptr<const StoredObject> CacheIndex::find(std::string_view primaryKey, const HttpHeaders& requestHeaders,
                                                     double nowSeconds) {
  std::shared_ptr<const StoredObject> found;
  {
    std::shared_lock lock(mutex_);
    auto pit = primaries_.find(primaryHash(primaryKey));
    if (pit == primaries_.end()) return nullptr;
    std::string vk;
    if (!pit->second.varyNames.empty()) {
      const HttpHeaders varyOnly{{"Vary", joinNames(pit->second.varyNames)}};
      vk = varyKey(varyOnly, requestHeaders);
    }
    const std::uint64_t id = variantHash(primaryKey, vk);
    auto it = objects_.find(id);
    if (it == objects_.end() || it->second->primaryKey != primaryKey) return nullptr;
    found = it->second;
  }
  const cachelib::Request hit{nowSeconds, found->variantId, found->bodyBytes, cachelib::kNoNextAccess};
  const auto queued = queuedHits_.push(hit, kMaxQueuedHits);
  if (queued.stored && queued.pending < kHitBatch) return found;
  std::unique_lock lock(mutex_, std::defer_lock);
  if (queued.stored) {
    // A batch is due: apply it if nobody holds the lock, else at the next hit.
    if (lock.try_lock()) applyQueuedHitsLocked();
    return found;
  }
  // This thread's queue is full (the lock was never free): wait for it once.
  lock.lock();
  applyQueuedHitsLocked();
  if (cache_->contains(hit.key)) (void)cache_->lookup(hit);
  return found;
}

void CacheIndex::applyQueuedHitsLocked() const {
  applying_.clear();
  queuedHits_.drainInto(applying_);
  for (const cachelib::Request& hit : applying_) {
    // Evicted or invalidated since it was served: nothing left to reorder.
    if (cache_->contains(hit.key)) (void)cache_->lookup(hit);
  }
}

bool CacheIndex::insert(std::shared_ptr<const StoredObject> object, double nowSeconds) {
  Graveyard dead;
  bool admitted = false;
  {
    std::lock_guard lock(mutex_);
    applyQueuedHitsLocked();
    const std::uint64_t id = object->variantId;
    if (cache_->contains(id)) {
      (void)cache_->erase(id);
      forgetLocked(id);
    }
    admitted = cache_->insert(cachelib::Request{nowSeconds, id, object->bodyBytes, cachelib::kNoNextAccess});
    if (admitted) {
      auto& primary = primaries_[primaryHash(object->primaryKey)];
      primary.varyNames = object->varyNames;
      if (std::find(primary.variants.begin(), primary.variants.end(), id) == primary.variants.end()) {
        primary.variants.push_back(id);
      }
      objects_[id] = std::move(object);
    }
    dead.swap(graveyard_);
  }
  buryOutsideLock(dead);
  return admitted;  // a rejected `object` is released by the caller: its body is erased
}

bool CacheIndex::replaceMetadata(std::shared_ptr<const StoredObject> updated) {
  std::shared_ptr<const StoredObject> old;
  const std::string metadata = encodeStoredObject(*updated);  // outside the lock
  const std::uint64_t storeId = updated->body->storeId();
  {
    std::lock_guard lock(mutex_);
    auto it = objects_.find(updated->variantId);
    if (it == objects_.end() || it->second->body != updated->body) return false;
    old = std::exchange(it->second, std::move(updated));
  }
  // After the swap, never before: written first, a 304 that lost a race
  // with a replacement would leave the replaced body's record with the
  // newest response time, and a crash before that body's erase would make
  // the rebuild prefer it to the replacement.
  (void)store_.updateMetadata(storeId, metadata);
  return true;
}

std::size_t CacheIndex::invalidate(std::string_view primaryKey) {
  Graveyard dead;
  std::size_t n = 0;
  {
    std::lock_guard lock(mutex_);
    applyQueuedHitsLocked();
    auto pit = primaries_.find(primaryHash(primaryKey));
    if (pit == primaries_.end()) return 0;
    const auto variants = pit->second.variants;  // forgetLocked edits the list
    for (std::uint64_t id : variants) {
      auto it = objects_.find(id);
      if (it == objects_.end() || it->second->primaryKey != primaryKey) continue;
      (void)cache_->erase(id);
      forgetLocked(id);
      ++n;
    }
    dead.swap(graveyard_);
  }
  eraseAndBuryOutsideLock(dead);
  return n;
}

void CacheIndex::dropVariant(const StoredObject& object) {
  Graveyard dead;
  {
    std::lock_guard lock(mutex_);
    applyQueuedHitsLocked();
    auto it = objects_.find(object.variantId);
    if (it == objects_.end() || it->second->body != object.body) return;
    (void)cache_->erase(object.variantId);
    forgetLocked(object.variantId);
    dead.swap(graveyard_);
  }
  buryOutsideLock(dead);
}

std::size_t CacheIndex::purgeAll() {
  Graveyard dead;
  std::size_t n = 0;
  {
    std::lock_guard lock(mutex_);
    applyQueuedHitsLocked();
    std::vector<std::uint64_t> ids;
    ids.reserve(objects_.size());
    for (const auto& [id, o] : objects_) ids.push_back(id);
    for (std::uint64_t id : ids) {
      (void)cache_->erase(id);
      forgetLocked(id);
    }
    n = ids.size();
    dead.swap(graveyard_);
  }
  eraseAndBuryOutsideLock(dead);
  return n;
}

void CacheIndex::resize(std::uint64_t capacityBytes) {
  Graveyard dead;
  {
    std::lock_guard lock(mutex_);
    applyQueuedHitsLocked();  // a shrink evicts by the order the hits left
    cache_->resize(capacityBytes);
    dead.swap(graveyard_);
  }
  buryOutsideLock(dead);
}

Status CacheIndex::setPolicy(cachelib::PolicyId policy) {
  std::lock_guard lock(mutex_);
  applyQueuedHitsLocked();  // the new policy is seeded from the old one's order
  return cache_->setPolicy(policy);
}

CacheIndexSnapshot CacheIndex::snapshot() const {
  std::lock_guard lock(mutex_);
  applyQueuedHitsLocked();  // hit counts up to date
  return CacheIndexSnapshot{cache_->capacityBytes(), cache_->usedBytes(), cache_->objectCount(), cache_->policyId(),
                            cache_->stats()};
}

bool FetchCollapser::joinOrLead(std::uint64_t key, Notify notify) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = inFlight_.try_emplace(key);
  if (inserted) return true;
  it->second.push_back(std::move(notify));
  return false;
}

bool FetchCollapser::tryLead(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  return inFlight_.try_emplace(key).second;
}

void FetchCollapser::finish(std::uint64_t key) {
  std::vector<Notify> waiters;
  {
    std::lock_guard lock(mutex_);
    auto it = inFlight_.find(key);
    if (it == inFlight_.end()) return;
    waiters.swap(it->second);
    inFlight_.erase(it);
  }
  for (auto& w : waiters) w();
}

std::size_t FetchCollapser::inFlight() const {
  std::lock_guard lock(mutex_);
  return inFlight_.size();
}

}  // namespace edgecache::proxy
