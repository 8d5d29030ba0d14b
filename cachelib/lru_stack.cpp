#include "cachelib/lru_stack.h"

#include <algorithm>

namespace edgecache::cachelib {

LruStack::LruStack(std::vector<std::uint64_t> capacitiesBytes) : capacities_(std::move(capacitiesBytes)) {
  ascending_ = capacities_;
  std::sort(ascending_.begin(), ascending_.end());
  for (std::uint64_t c : capacities_)
    rank_.push_back(static_cast<std::size_t>(std::lower_bound(ascending_.begin(), ascending_.end(), c) -
                                             ascending_.begin()));
  hitsFrom_.assign(capacities_.size(), 0);
  bytesHitFrom_.assign(capacities_.size(), 0);
  at_.resize(1024);
  tree_.assign(at_.size() + 1, 0);
}

namespace {
// Hits at a capacity are the hits whose smallest hitting capacity is no larger.
std::uint64_t upTo(const std::vector<std::uint64_t>& from, std::size_t rank) noexcept {
  std::uint64_t n = 0;
  for (std::size_t r = 0; r <= rank; ++r) n += from[r];
  return n;
}
}  // namespace

std::uint64_t LruStack::hits(std::size_t i) const noexcept { return upTo(hitsFrom_, rank_[i]); }

std::uint64_t LruStack::bytesHit(std::size_t i) const noexcept { return upTo(bytesHitFrom_, rank_[i]); }

void LruStack::resetStats() noexcept {
  std::fill(hitsFrom_.begin(), hitsFrom_.end(), 0);
  std::fill(bytesHitFrom_.begin(), bytesHitFrom_.end(), 0);
  requests_ = bytesRequested_ = 0;
}

void LruStack::add(std::uint32_t position, std::int64_t delta) noexcept {
  const auto n = static_cast<std::uint32_t>(tree_.size() - 1);
  for (std::uint32_t i = position + 1; i <= n; i += i & (0u - i)) tree_[i] += static_cast<std::uint64_t>(delta);
}

std::uint64_t LruStack::prefix(std::uint32_t position) const noexcept {
  std::uint64_t sum = 0;
  for (std::uint32_t i = position + 1; i > 0; i &= i - 1) sum += tree_[i];
  return sum;
}

void LruStack::access(std::uint64_t key, std::uint64_t sizeBytes) noexcept {
  ++requests_;
  bytesRequested_ += sizeBytes;
  if (capacities_.empty()) return;
  std::uint64_t stored = sizeBytes;
  auto [it, inserted] = where_.try_emplace(key, 0);
  if (!inserted) {
    const std::uint32_t p = it->second;
    const std::uint64_t own = at_[p].bytes;
    // Bytes of the objects requested since, plus the object's own.
    const std::uint64_t need = total_ - prefix(p) + own;
    const auto first = static_cast<std::size_t>(std::lower_bound(ascending_.begin(), ascending_.end(), need) -
                                                ascending_.begin());
    if (first < ascending_.size()) {
      ++hitsFrom_[first];
      bytesHitFrom_[first] += sizeBytes;
      stored = own;  // a hit keeps the stored size
    }
    add(p, -static_cast<std::int64_t>(own));
    total_ -= own;
    at_[p].bytes = kDead;
  }
  // Larger than every capacity: never admitted anywhere, leaves the stack as is.
  if (stored > ascending_.back()) {
    where_.erase(it);
    return;
  }
  if (next_ == at_.size()) compact();  // updates existing keys only: `it` stays valid
  const std::uint32_t p = next_++;
  at_[p] = Slot{key, stored};
  add(p, static_cast<std::int64_t>(stored));
  total_ += stored;
  it->second = p;
  trim();
}

void LruStack::trim() noexcept {
  // The bottom object has every other object above it: once the stack holds
  // more than the largest capacity, its next request misses everywhere, and
  // the bytes above it only grow — drop it for good.
  while (total_ > ascending_.back()) {
    while (at_[bottom_].bytes == kDead) ++bottom_;
    Slot& s = at_[bottom_];
    add(bottom_, -static_cast<std::int64_t>(s.bytes));
    total_ -= s.bytes;
    where_.erase(s.key);
    s.bytes = kDead;
    ++bottom_;
  }
}

void LruStack::compact() noexcept {
  // Renumbers the live objects to 0..live-1 in order; doubles the positions
  // when more than half are live, so the next compaction is at least as many
  // pushes away as this one costs.
  std::uint32_t live = 0;
  for (std::uint32_t p = bottom_; p < next_; ++p)
    if (at_[p].bytes != kDead) at_[live++] = at_[p];
  if (std::size_t(live) * 2 > at_.size()) at_.resize(at_.size() * 2);
  std::fill(at_.begin() + live, at_.end(), Slot{0, kDead});
  // Linear Fenwick build: each node passes its sum to its parent.
  const std::size_t n = at_.size();
  tree_.assign(n + 1, 0);
  for (std::size_t i = 1; i <= n; ++i) {
    if (i <= live) tree_[i] += at_[i - 1].bytes;
    if (const std::size_t parent = i + (i & (0 - i)); parent <= n) tree_[parent] += tree_[i];
  }
  for (std::uint32_t p = 0; p < live; ++p) where_.find(at_[p].key)->second = p;
  bottom_ = 0;
  next_ = live;
}

}  // namespace edgecache::cachelib
