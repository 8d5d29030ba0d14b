#include "cachelib/policies/arc_policy.h"

#include <algorithm>

namespace edgecache::cachelib {

void ArcPolicy::ensure(SlotId slot) {
  lists_.ensure(slot);
  if (slot >= keys_.size()) {
    const std::size_t n = static_cast<std::size_t>(slot) + 1 + keys_.size() / 2;
    keys_.resize(n);
    bytes_.resize(n);
    list_.resize(n);
  }
}

void ArcPolicy::onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept {
  ensure(slot);
  // The ghost check and p adaptation see the ghost lists as they were before
  // this request's evictions (ARC.c does them before evicting).
  const int ghost = ghosts_.find(request.key);
  if (ghost == static_cast<int>(kB1)) {
    const double b1 = static_cast<double>(ghosts_.bytes(kB1));
    const double delta = b1 > 0 ? std::max(static_cast<double>(ghosts_.bytes(kB2)) / b1, 1.0) : 1.0;
    p_ = std::min(p_ + delta, static_cast<double>(capacity_));
  } else if (ghost == static_cast<int>(kB2)) {
    const double b2 = static_cast<double>(ghosts_.bytes(kB2));
    const double delta = b2 > 0 ? std::max(static_cast<double>(ghosts_.bytes(kB1)) / b2, 1.0) : 1.0;
    p_ = std::max(p_ - delta, 0.0);
  }
  const bool ghostHit = ghost != GhostLists::kNotFound;
  if (ghostHit) ghosts_.erase(request.key);
  settlePending(chargedBytes, &request.key, ghostHit);

  keys_[slot] = request.key;
  bytes_[slot] = chargedBytes;
  if (ghostHit) {
    list_[slot] = kT2;
    lists_.pushFront(kT2, slot);
    t2Bytes_ += chargedBytes;
  } else {
    list_[slot] = kT1;
    lists_.pushFront(kT1, slot);
    t1Bytes_ += chargedBytes;
  }
}

void ArcPolicy::settlePending(std::uint64_t incomingBytes, const std::uint64_t* incomingKey, bool ghostHit) noexcept {
  for (const PendingVictim& v : pending_) {
    bool keepGhost = true;
    if (ghostHit) {
      // Evictions for a ghost hit are plain REPLACE steps: the victim becomes
      // a ghost and no ghost is dropped.
    } else if (v.t1BytesBefore + ghosts_.bytes(kB1) + incomingBytes > capacity_) {
      // Case A (|T1| + |B1| would exceed c): drop the oldest B1 ghost; with B1
      // empty, ARC.c evicts from T1 without keeping a ghost.
      if (!ghosts_.empty(kB1)) {
        ghosts_.popBack(kB1);
      } else {
        keepGhost = false;
      }
    } else if (v.t1BytesBefore + v.t2BytesBefore + ghosts_.bytes(kB1) + ghosts_.bytes(kB2) >= 2 * capacity_) {
      if (!ghosts_.empty(kB2)) ghosts_.popBack(kB2);
    }
    // A victim that is being readmitted right now (possible only after a
    // resize left victims unsettled) must not also be a ghost.
    if (keepGhost && (incomingKey == nullptr || *incomingKey != v.key)) {
      ghosts_.pushFront(v.fromT1 ? kB1 : kB2, v.key, v.bytes);
    }
    if (refs_ != nullptr) refs_->release(v.key);  // retained by popVictim
  }
  pending_.clear();
}

void ArcPolicy::onHit(SlotId slot, const Request&) noexcept {
  if (!pending_.empty()) settlePending(0, nullptr, false);
  if (list_[slot] == kT1) {
    lists_.remove(kT1, slot);
    t1Bytes_ -= bytes_[slot];
    list_[slot] = kT2;
    lists_.pushFront(kT2, slot);
    t2Bytes_ += bytes_[slot];
  } else {
    lists_.moveToFront(kT2, slot);
  }
}

void ArcPolicy::onErase(SlotId slot) noexcept {
  if (!pending_.empty()) settlePending(0, nullptr, false);
  lists_.remove(list_[slot], slot);
  (list_[slot] == kT1 ? t1Bytes_ : t2Bytes_) -= bytes_[slot];
}

SlotId ArcPolicy::popVictim() noexcept {
  // REPLACE: T1's LRU end while T1 holds more than p bytes (or T2 is empty).
  const bool fromT1 = lists_.empty(kT2) || (!lists_.empty(kT1) && static_cast<double>(t1Bytes_) > p_);
  const std::uint8_t list = fromT1 ? kT1 : kT2;
  const SlotId victim = lists_.back(list);
  pending_.push_back(PendingVictim{keys_[victim], bytes_[victim], t1Bytes_, t2Bytes_, fromT1});
  // The host may recycle the id once the victim is gone; it must not until
  // the victim has become a ghost (or not) in settlePending.
  if (refs_ != nullptr) refs_->retain(keys_[victim]);
  lists_.remove(list, victim);
  (fromT1 ? t1Bytes_ : t2Bytes_) -= bytes_[victim];
  return victim;
}

void ArcPolicy::onCapacityChange(std::uint64_t capacityBytes) noexcept {
  if (!pending_.empty()) settlePending(0, nullptr, false);
  capacity_ = capacityBytes;
  p_ = std::min(p_, static_cast<double>(capacity_));
  // After a shrink, bring the ghosts back within ARC's bounds at once rather
  // than one ghost per eviction.
  while (!ghosts_.empty(kB1) && t1Bytes_ + ghosts_.bytes(kB1) > capacity_) ghosts_.popBack(kB1);
  while (!ghosts_.empty(kB2) && t1Bytes_ + t2Bytes_ + ghosts_.bytes(kB1) + ghosts_.bytes(kB2) > 2 * capacity_) {
    ghosts_.popBack(kB2);
  }
}

void ArcPolicy::exportOrder(std::vector<SlotId>& coldToHot) const {
  // REPLACE takes from T1 while it holds more than p bytes, so that list's LRU
  // end goes first; the other list follows (an approximation: real eviction
  // interleaves the two as p and |T1| change).
  coldToHot.clear();
  const bool t1First = lists_.empty(kT2) || static_cast<double>(t1Bytes_) > p_;
  lists_.appendBackToFront(t1First ? kT1 : kT2, coldToHot);
  lists_.appendBackToFront(t1First ? kT2 : kT1, coldToHot);
}

}  // namespace edgecache::cachelib
