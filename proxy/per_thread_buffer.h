#pragma once
// PerThreadBuffer<T>: an append-only buffer that many threads fill without
// contending with one another, emptied by a consumer in batches. The proxy's
// I/O threads record into it on every request (access records for the
// control loop, deferred policy updates of cache hits), so a shared mutex
// there would make the I/O threads wait on each other (futex sleeps and
// wake-ups, and a whole scheduler slice when the holder is preempted).
//
//  - Each thread appends to its own shard: a thread gets a small slot number
//    on its first append to any PerThreadBuffer, and slot % kShards picks the
//    shard. Threads beyond kShards share shards (still correct, just shared).
//  - A shard's mutex is contended only by the consumer's drain, which holds
//    it for O(1) (a vector swap), never while copying.
//  - Order: values of one thread are drained in the order it appended them;
//    no order is kept between threads.
//
// Thread safety: push() from any thread; drainInto() from any thread, but
// concurrent drains are serialised (drainMutex_). No exceptions beyond
// bad_alloc. Memory: at most maxPerShard values per shard.

#include <array>
#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

namespace edgecache::proxy {

namespace per_thread_buffer_detail {
// This thread's slot: 0, 1, 2, ... in order of first use, process wide.
inline std::size_t threadSlot() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t slot = next.fetch_add(1, std::memory_order_relaxed);
  return slot;
}
}  // namespace per_thread_buffer_detail

template <typename T>
class PerThreadBuffer {
 public:
  static constexpr std::size_t kShards = 16;

  struct PushResult {
    bool stored = false;      // false: the shard was full, the value was dropped
    std::size_t pending = 0;  // values in the caller's shard after the call
  };
  // Appends to the caller's shard unless it already holds maxPerShard
  // values. O(1) amortised.
  PushResult push(const T& value, std::size_t maxPerShard) noexcept {
    Shard& s = shards_[per_thread_buffer_detail::threadSlot() % kShards];
    std::lock_guard lock(s.mutex);
    if (s.values.size() >= maxPerShard) return {false, s.values.size()};
    s.values.push_back(value);  // amortised: a shard keeps its capacity across drains
    return {true, s.values.size()};
  }

  // Appends every pending value to `out` (shard by shard), leaving the
  // shards empty. Each shard's lock is held only to swap vectors.
  void drainInto(std::vector<T>& out) {
    std::lock_guard drainLock(drainMutex_);
    for (Shard& s : shards_) {
      {
        std::lock_guard lock(s.mutex);
        if (s.values.empty()) continue;
        s.values.swap(spare_);  // the shard gets back spare_'s (empty) capacity
      }
      out.insert(out.end(), spare_.begin(), spare_.end());
      spare_.clear();
    }
  }

 private:
  struct alignas(64) Shard {  // own cache line: appends by different threads do not share one
    std::mutex mutex;
    std::vector<T> values;
  };
  std::array<Shard, kShards> shards_;
  std::mutex drainMutex_;  // guards spare_
  std::vector<T> spare_;
};

}  // namespace edgecache::proxy
