#include "cachelib/shadow_bank.h"

#include <algorithm>
#include <bit>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

namespace {
constexpr std::uint32_t kNoId = 0xffffffffu;
}  // namespace

// One what-if cache: the same bookkeeping as Cache (byte accounting, LIFO slot
// recycling, admission only if the object fits at all) with the key index
// replaced by slotOf[id].
struct ShadowBank::Shadow {
  struct Entry {
    std::uint32_t id;  // kNoId while the slot is free
    std::uint64_t chargedBytes;
  };
  std::unique_ptr<Policy> policy;  // null = inert (unknown policy id)
  std::vector<SlotId> slotOf;      // dense id -> slot, kNoSlot if not resident
  std::vector<Entry> entries;      // slot -> id and bytes
  std::vector<SlotId> freeSlots;
  std::uint64_t fullCapacity = 0;  // full scale
  std::uint64_t capacity = 0;      // scaled by the shadow's rate
  std::uint64_t used = 0;
  std::uint32_t level = 0;         // rate = bank rate / 2^level
  bool active = true;
  CacheStats stats;
};

ShadowBank::ShadowBank(std::span<const Spec> specs, std::uint32_t sampleThreshold, std::uint64_t salt)
    : threshold_(std::clamp<std::uint32_t>(sampleThreshold, 1, kSampleHashRange)),
      salt_(salt),
      maxLevel_(std::min<std::uint32_t>(kMaxLevel, static_cast<std::uint32_t>(std::bit_width(threshold_) - 1))) {
  shadows_.reserve(specs.size());
  for (const Spec& spec : specs) {
    auto s = std::make_unique<Shadow>();
    if (const PolicyInfo* info = findPolicy(spec.policy); info != nullptr && !info->offline) {
      s->policy = info->make();
      s->policy->useKeyIds(this);
      s->fullCapacity = spec.capacityBytes;
      s->capacity = scaledCapacity(spec.capacityBytes, threshold_);
      s->policy->onCapacityChange(s->capacity);
      s->active = spec.active;
    }
    shadows_.push_back(std::move(s));
  }
}

ShadowBank::~ShadowBank() = default;

bool ShadowBank::valid(std::size_t i) const noexcept { return i < shadows_.size() && shadows_[i]->policy; }

bool ShadowBank::active(std::size_t i) const noexcept { return valid(i) && shadows_[i]->active; }

const CacheStats& ShadowBank::stats(std::size_t i) const noexcept { return shadows_[i]->stats; }

std::uint64_t ShadowBank::usedBytes(std::size_t i) const noexcept { return shadows_[i]->used; }

std::uint64_t ShadowBank::capacityBytes(std::size_t i) const noexcept { return shadows_[i]->capacity; }

std::size_t ShadowBank::objectCount(std::size_t i) const noexcept {
  const Shadow& s = *shadows_[i];
  return s.entries.size() - s.freeSlots.size();
}

std::uint32_t ShadowBank::level(std::size_t i) const noexcept { return shadows_[i]->level; }

double ShadowBank::samplingRate(std::size_t i) const noexcept { return sampleRate(thresholdOf(shadows_[i]->level)); }

void ShadowBank::resetStats() noexcept {
  for (auto& s : shadows_) s->stats = {};
}

void ShadowBank::growIds(std::size_t count) {
  keyOf_.resize(count, 0);
  holders_.resize(count, 0);
  for (auto& s : shadows_)
    if (s->policy) s->slotOf.resize(count, kNoSlot);
}

std::uint32_t ShadowBank::idOf(std::uint64_t key) noexcept {
  auto [it, inserted] = ids_.try_emplace(key, kNoId);
  if (!inserted) return it->second;
  std::uint32_t id;
  if (!freeIds_.empty()) {
    id = freeIds_.back();
    freeIds_.pop_back();
  } else {
    id = nextId_++;
    if (id >= keyOf_.size()) growIds(std::max<std::size_t>(1024, 2 * keyOf_.size()));
  }
  keyOf_[id] = key;
  it->second = id;
  return id;
}

void ShadowBank::release(Shadow& s, SlotId slot) noexcept {
  Shadow::Entry& e = s.entries[slot];
  s.slotOf[e.id] = kNoSlot;
  if (--holders_[e.id] == 0) maybeUnheld_.push_back(e.id);
  s.used -= e.chargedBytes;
  e.id = kNoId;
  s.freeSlots.push_back(slot);
}

void ShadowBank::evictOne(Shadow& s) noexcept {
  ++s.stats.evictions;
  release(s, s.policy->popVictim());
}

void ShadowBank::feed(Shadow& s, std::span<const std::uint32_t> positions) noexcept {
  // Raw pointers and counters in locals rather than members: the policy
  // hooks are virtual calls, after each of which the compiler would reload
  // every member it uses. slotOf cannot move here: ids (and growIds) were
  // all assigned before the shadows are fed.
  const std::uint32_t* const ids = batchIds_.data();
  const Request* const batch = byId_.data();
  const SlotId* const slotOf = s.slotOf.data();
  Policy* const policy = s.policy.get();
  std::uint64_t bytes = 0, hits = 0, bytesHit = 0;
  // The slotOf lookups are the one access per request whose address is known
  // ahead (the policies' own state is not): prefetch them a few requests on.
  constexpr std::size_t kAhead = 8;
  const std::size_t n = positions.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) __builtin_prefetch(&slotOf[ids[positions[k + kAhead]]]);
    const Request& r = batch[positions[k]];
    const std::uint32_t id = ids[positions[k]];
    bytes += r.sizeBytes;
    if (const SlotId slot = slotOf[id]; slot != kNoSlot) {
      ++hits;
      bytesHit += r.sizeBytes;
      policy->onHit(slot, r);
    } else {
      admit(s, r, id);
    }
  }
  s.stats.requests += n;
  s.stats.bytesRequested += bytes;
  s.stats.hits += hits;
  s.stats.bytesHit += bytesHit;
}

void ShadowBank::admit(Shadow& s, const Request& r, std::uint32_t id) noexcept {
  const std::uint64_t charged = r.sizeBytes;
  if (charged > s.capacity) return;
  while (s.used + charged > s.capacity) evictOne(s);
  SlotId slot;
  if (!s.freeSlots.empty()) {
    slot = s.freeSlots.back();
    s.freeSlots.pop_back();
    s.entries[slot] = Shadow::Entry{id, charged};
  } else {
    slot = static_cast<SlotId>(s.entries.size());
    s.entries.push_back(Shadow::Entry{id, charged});
  }
  s.used += charged;
  s.slotOf[id] = slot;
  ++holders_[id];
  s.policy->onInsert(slot, r, charged);
}

void ShadowBank::access(std::span<const Request> batch) noexcept {
  if (batch.empty()) return;
  std::uint32_t top = 0;  // highest level in use
  for (const auto& s : shadows_)
    if (s->policy && s->active) top = std::max(top, s->level);
  if (byLevel_.size() <= top) byLevel_.resize(top + 1);
  for (auto& positions : byLevel_) positions.clear();
  batchIds_.clear();
  byId_.clear();
  for (std::uint32_t i = 0; i < batch.size(); ++i) {
    batchIds_.push_back(idOf(batch[i].key));
    // The policies see the id as the key (useKeyIds); once per request
    // here rather than once per shadow access.
    byId_.push_back(batch[i]);
    byId_.back().key = batchIds_.back();
    // Levels nest: a key in level L's sample is in every lower level's.
    const std::uint32_t h = top > 0 ? sampleHash(batch[i].key, salt_) : 0;
    for (std::uint32_t level = 0; level <= top && h < thresholdOf(level); ++level) byLevel_[level].push_back(i);
  }
  for (auto& s : shadows_)
    if (s->policy && s->active) feed(*s, byLevel_[s->level]);
  // Keys no shadow admitted (too large, or above every shadow's threshold)
  // never reached a holder.
  for (std::uint32_t id : batchIds_)
    if (holders_[id] == 0) maybeUnheld_.push_back(id);
  releaseUnheld();
}

void ShadowBank::lowerRate(std::size_t i, std::uint32_t halvings) noexcept {
  Shadow& s = *shadows_[i];
  if (!s.policy) return;
  const std::uint32_t level = std::min(maxLevel_, s.level + halvings);
  if (level == s.level) return;
  s.level = level;
  const std::uint32_t threshold = thresholdOf(level);
  for (SlotId slot = 0; slot < s.entries.size(); ++slot) {
    const std::uint32_t id = s.entries[slot].id;
    if (id == kNoId || sampleHash(keyOf_[id], salt_) < threshold) continue;
    s.policy->onErase(slot);
    release(s, slot);
  }
  // Not counted as evictions: the dropped keys left the sample, not the cache.
  s.capacity = scaledCapacity(s.fullCapacity, threshold);
  s.policy->onCapacityChange(s.capacity);
  while (s.used > s.capacity) evictOne(s);
  releaseUnheld();
}

void ShadowBank::activate(std::size_t i, std::uint32_t level, std::span<const SeedObject> coldToHot) noexcept {
  Shadow& s = *shadows_[i];
  if (!s.policy || s.active) return;
  s.active = true;
  s.level = std::min(maxLevel_, level);
  const std::uint32_t threshold = thresholdOf(s.level);
  s.capacity = scaledCapacity(s.fullCapacity, threshold);
  s.policy->onCapacityChange(s.capacity);
  for (const SeedObject& o : coldToHot) {
    if (sampleHash(o.key, salt_) >= threshold) continue;
    const std::uint32_t id = idOf(o.key);
    Request r;
    r.key = id;
    r.sizeBytes = o.bytes;
    if (s.slotOf[id] == kNoSlot) admit(s, r, id);
    if (holders_[id] == 0) maybeUnheld_.push_back(id);
  }
  s.stats = {};
  releaseUnheld();
}

void ShadowBank::releaseUnheld() noexcept {
  // An id can be listed several times (evicted, readmitted, evicted); the
  // keyOf_/ids_ check releases it once.
  for (std::uint32_t id : maybeUnheld_) {
    if (holders_[id] != 0) continue;
    auto it = ids_.find(keyOf_[id]);
    if (it == ids_.end() || it->second != id) continue;
    ids_.erase(it);
    freeIds_.push_back(id);
  }
  maybeUnheld_.clear();
}

}  // namespace edgecache::cachelib
