#include "cachelib/policies/s3fifo_policy.h"

#include <algorithm>

namespace edgecache::cachelib {

void S3FifoPolicy::ensure(SlotId slot) {
  lists_.ensure(slot);
  if (slot >= keys_.size()) {
    const std::size_t n = static_cast<std::size_t>(slot) + 1 + keys_.size() / 2;
    keys_.resize(n);
    bytes_.resize(n);
    queue_.resize(n);
    freq_.resize(n);
  }
}

void S3FifoPolicy::link(SlotId slot, std::uint8_t queue) noexcept {
  queue_[slot] = queue;
  lists_.pushFront(queue, slot);
  (queue == kSmall ? smallBytes_ : mainBytes_) += bytes_[slot];
}

void S3FifoPolicy::unlink(SlotId slot) noexcept {
  lists_.remove(queue_[slot], slot);
  (queue_[slot] == kSmall ? smallBytes_ : mainBytes_) -= bytes_[slot];
}

void S3FifoPolicy::onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept {
  ensure(slot);
  keys_[slot] = request.key;
  bytes_[slot] = chargedBytes;
  freq_[slot] = 0;
  const bool wasGhost = ghost_.erase(request.key) != GhostLists::kNotFound;
  link(slot, wasGhost ? kMain : kSmall);
  // Only now, after the lookup, drop what this request's evictions pushed
  // beyond the ghost budget (see the header).
  trimGhost();
}

void S3FifoPolicy::onHit(SlotId slot, const Request&) noexcept {
  if (freq_[slot] < kMaxFrequency) ++freq_[slot];
}

void S3FifoPolicy::onErase(SlotId slot) noexcept { unlink(slot); }

SlotId S3FifoPolicy::popVictim() noexcept {
  const bool preferMain = mainBytes_ > mainCapacity_ || smallBytes_ == 0;
  if ((preferMain && !lists_.empty(kMain)) || lists_.empty(kSmall)) return evictFromMain();
  const SlotId victim = evictFromSmall();
  return victim != kNoSlot ? victim : evictFromMain();
}

SlotId S3FifoPolicy::evictFromSmall() noexcept {
  while (!lists_.empty(kSmall)) {
    const SlotId s = lists_.back(kSmall);
    unlink(s);
    if (freq_[s] >= kMoveToMainThreshold) {
      // Promoted objects start over in main; main may now exceed its share,
      // which the next eviction corrects.
      freq_[s] = 0;
      link(s, kMain);
      continue;
    }
    if (bytes_[s] <= ghostCapacity_) ghost_.pushFront(0, keys_[s], bytes_[s]);
    return s;
  }
  return kNoSlot;
}

SlotId S3FifoPolicy::evictFromMain() noexcept {
  while (true) {
    const SlotId s = lists_.back(kMain);
    if (freq_[s] == 0) {
      unlink(s);
      return s;
    }
    --freq_[s];
    lists_.moveToFront(kMain, s);
  }
}

void S3FifoPolicy::trimGhost() noexcept {
  while (ghost_.bytes(0) > ghostCapacity_) ghost_.popBack(0);
}

void S3FifoPolicy::onCapacityChange(std::uint64_t capacityBytes) noexcept {
  // Same rounding as S3FIFOv0.c: the shares are truncated products.
  smallCapacity_ = static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * kSmallRatio);
  mainCapacity_ = capacityBytes - smallCapacity_;
  ghostCapacity_ = static_cast<std::uint64_t>(static_cast<double>(capacityBytes) * kGhostRatio);
  trimGhost();
}

void S3FifoPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  // Approximate eviction order: unhit small objects (they leave first), then
  // main objects by remaining frequency, then small objects due to move to
  // main.
  coldToHot.clear();
  for (SlotId s = lists_.back(kSmall); s != kNoSlot; s = lists_.newer(s))
    if (freq_[s] < kMoveToMainThreshold) coldToHot.push_back(s);
  for (std::uint8_t f = 0; f <= kMaxFrequency; ++f)
    for (SlotId s = lists_.back(kMain); s != kNoSlot; s = lists_.newer(s))
      if (freq_[s] == f) coldToHot.push_back(s);
  for (SlotId s = lists_.back(kSmall); s != kNoSlot; s = lists_.newer(s))
    if (freq_[s] >= kMoveToMainThreshold) coldToHot.push_back(s);
}

void S3FifoPolicy::seed(std::span<const SeedEntry> coldToHot) noexcept {
  // Objects that survived under the previous policy have proven themselves:
  // the hottest ~90% of the bytes go straight to main, the coldest ~10% to
  // small, so the next evictions probe the coldest ones first.
  std::uint64_t total = 0;
  for (const SeedEntry& e : coldToHot) total += e.chargedBytes;
  const auto smallShare = static_cast<std::uint64_t>(static_cast<double>(total) * kSmallRatio);
  std::uint64_t inSmall = 0;
  bool smallFull = false;
  for (const SeedEntry& e : coldToHot) {
    ensure(e.slot);
    keys_[e.slot] = e.key;
    bytes_[e.slot] = e.chargedBytes;
    freq_[e.slot] = 0;
    smallFull = smallFull || inSmall + e.chargedBytes > smallShare;
    if (!smallFull) {
      inSmall += e.chargedBytes;
      link(e.slot, kSmall);
    } else {
      link(e.slot, kMain);
    }
  }
}

}  // namespace edgecache::cachelib
