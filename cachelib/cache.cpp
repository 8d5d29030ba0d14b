#include "cachelib/cache.h"

#include <string>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

Result<std::unique_ptr<Cache>> Cache::create(const CacheConfig& config) {
  const PolicyInfo* info = findPolicy(config.policy);
  if (info == nullptr) {
    return Result<std::unique_ptr<Cache>>::error("unknown policy id " + std::to_string(config.policy) +
                                                 " (known: " + policyNames() + ")");
  }
  return std::make_unique<Cache>(config, info->make());
}

Cache::Cache(const CacheConfig& config, std::unique_ptr<Policy> policy)
    : policy_(std::move(policy)), capacity_(config.capacityBytes), metadataBytes_(config.metadataBytesPerObject) {
  policy_->onCapacityChange(capacity_);
}

Cache::Cache(const Cache& other, std::unique_ptr<Policy> policy)
    : policy_(std::move(policy)),
      index_(other.index_),
      entries_(other.entries_),
      freeSlots_(other.freeSlots_),
      capacity_(other.capacity_),
      used_(other.used_),
      metadataBytes_(other.metadataBytes_),
      stats_(other.stats_) {}

Result<std::unique_ptr<Cache>> Cache::clone() const {
  std::unique_ptr<Policy> p = policy_->clone();
  if (!p) return Result<std::unique_ptr<Cache>>::error("policy " + std::string(policy_->name()) + " cannot be cloned");
  return std::unique_ptr<Cache>(new Cache(*this, std::move(p)));
}

bool Cache::access(const Request& request) noexcept {
  ++stats_.requests;
  stats_.bytesRequested += request.sizeBytes;
  if (auto it = index_.find(request.key); it != index_.end()) {
    ++stats_.hits;
    stats_.bytesHit += request.sizeBytes;
    policy_->onHit(it->second, request);
    return true;
  }
  (void)admit(request);
  return false;
}

SlotId Cache::place(std::uint64_t key, std::uint64_t charged) noexcept {
  SlotId slot;
  if (!freeSlots_.empty()) {
    slot = freeSlots_.back();
    freeSlots_.pop_back();
    entries_[slot] = Entry{key, charged};
  } else {
    slot = static_cast<SlotId>(entries_.size());
    entries_.push_back(Entry{key, charged});
  }
  used_ += charged;
  return slot;
}

bool Cache::lookup(const Request& request) noexcept {
  ++stats_.requests;
  stats_.bytesRequested += request.sizeBytes;
  auto it = index_.find(request.key);
  if (it == index_.end()) return false;
  ++stats_.hits;
  stats_.bytesHit += request.sizeBytes;
  policy_->onHit(it->second, request);
  return true;
}

bool Cache::insert(const Request& request) noexcept {
  erase(request.key);
  return admit(request);
}

bool Cache::admit(const Request& request) noexcept {
  const std::uint64_t charged = request.sizeBytes + metadataBytes_;
  if (charged > capacity_) return false;
  while (used_ + charged > capacity_) evictOne();
  const SlotId slot = place(request.key, charged);
  index_.emplace(request.key, slot);
  policy_->onInsert(slot, request, charged);
  return true;
}

void Cache::evictOne() noexcept {
  const SlotId victim = policy_->popVictim();
  const Entry e = entries_[victim];
  ++stats_.evictions;
  (void)index_.erase(e.key);
  releaseSlot(victim);
  if (onEvict_) onEvict_(e.key, e.chargedBytes - metadataBytes_);
}

void Cache::releaseSlot(SlotId slot) noexcept {
  used_ -= entries_[slot].chargedBytes;
  freeSlots_.push_back(slot);
}

bool Cache::erase(std::uint64_t key) noexcept {
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  const SlotId slot = it->second;
  index_.erase(it);
  policy_->onErase(slot);
  releaseSlot(slot);
  return true;
}

void Cache::resize(std::uint64_t capacityBytes) noexcept {
  capacity_ = capacityBytes;
  policy_->onCapacityChange(capacity_);
  while (used_ > capacity_) evictOne();
}

Status Cache::setPolicy(PolicyId id) {
  const PolicyInfo* info = findPolicy(id);
  if (info == nullptr) return Status::error("unknown policy id " + std::to_string(id) + " (known: " + policyNames() + ")");
  if (id == policy_->id()) return Status::ok();
  std::vector<SlotId> order;
  order.reserve(index_.size());
  policy_->exportOrder(order);
  std::vector<SeedEntry> seeds;
  seeds.reserve(order.size());
  for (SlotId s : order) seeds.push_back(SeedEntry{s, entries_[s].key, entries_[s].chargedBytes});
  std::unique_ptr<Policy> next = info->make();
  next->onCapacityChange(capacity_);
  next->seed(seeds);
  policy_ = std::move(next);
  return Status::ok();
}

void Cache::forEachObject(const std::function<void(std::uint64_t, std::uint64_t)>& fn) const {
  for (const auto& [key, slot] : index_) fn(key, entries_[slot].chargedBytes - metadataBytes_);
}

}  // namespace edgecache::cachelib
