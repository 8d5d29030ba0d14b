#include "cachelib/shadow_bank.h"

#include <algorithm>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

namespace {
constexpr std::uint32_t kNoId = 0xffffffffu;
}

// One what-if cache: the same bookkeeping as Cache (byte accounting, LIFO slot
// recycling, admission only if the object fits at all) with the key index
// replaced by slotOf[id].
struct ShadowBank::Shadow {
  struct Entry {
    std::uint32_t id;
    std::uint64_t chargedBytes;
  };
  std::unique_ptr<Policy> policy;  // null = inert (unknown policy id)
  std::vector<SlotId> slotOf;      // dense id -> slot, kNoSlot if not resident
  std::vector<Entry> entries;      // slot -> id and bytes
  std::vector<SlotId> freeSlots;
  std::uint64_t capacity = 0;
  std::uint64_t used = 0;
  CacheStats stats;
};

ShadowBank::ShadowBank(std::span<const Spec> specs) {
  shadows_.reserve(specs.size());
  for (const Spec& spec : specs) {
    auto s = std::make_unique<Shadow>();
    if (const PolicyInfo* info = findPolicy(spec.policy); info != nullptr && !info->offline) {
      s->policy = info->make();
      s->capacity = spec.capacityBytes;
      s->policy->onCapacityChange(s->capacity);
    }
    shadows_.push_back(std::move(s));
  }
}

ShadowBank::~ShadowBank() = default;

bool ShadowBank::valid(std::size_t i) const noexcept { return i < shadows_.size() && shadows_[i]->policy; }

const CacheStats& ShadowBank::stats(std::size_t i) const noexcept { return shadows_[i]->stats; }

std::uint64_t ShadowBank::usedBytes(std::size_t i) const noexcept { return shadows_[i]->used; }

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

void ShadowBank::access(Shadow& s, const Request& r, std::uint32_t id) noexcept {
  ++s.stats.requests;
  s.stats.bytesRequested += r.sizeBytes;
  if (const SlotId slot = s.slotOf[id]; slot != kNoSlot) {
    ++s.stats.hits;
    s.stats.bytesHit += r.sizeBytes;
    s.policy->onHit(slot, r);
    return;
  }
  const std::uint64_t charged = r.sizeBytes;
  if (charged > s.capacity) return;
  while (s.used + charged > s.capacity) {
    const SlotId victim = s.policy->popVictim();
    const Shadow::Entry e = s.entries[victim];
    ++s.stats.evictions;
    s.slotOf[e.id] = kNoSlot;
    if (--holders_[e.id] == 0) maybeUnheld_.push_back(e.id);
    s.used -= e.chargedBytes;
    s.freeSlots.push_back(victim);
  }
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
  batchIds_.clear();
  for (const Request& r : batch) batchIds_.push_back(idOf(r.key));
  for (auto& s : shadows_) {
    if (!s->policy) continue;
    for (std::size_t i = 0; i < batch.size(); ++i) access(*s, batch[i], batchIds_[i]);
  }
  // Keys no shadow admitted (too large everywhere) never reached a holder.
  for (std::uint32_t id : batchIds_)
    if (holders_[id] == 0) maybeUnheld_.push_back(id);
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
