#pragma once
// S3-FIFO (Yang et al., SOSP'23) as in libCacheSim's S3FIFOv0.c, the version
// of the paper and of the README's known answers: a small FIFO of 10% of the
// capacity in bytes, a main FIFO (the rest) run as a 2-bit Clock, and a ghost
// FIFO of keys sized to 90% of the capacity in bytes.
//
// - A miss whose key is in the ghost FIFO is admitted to main (the ghost entry
//   is removed); any other miss goes to small. New objects start at frequency 0;
//   a hit adds 1, capped at 3.
// - Eviction takes from main when main holds more than its share or small is
//   empty, else from small.
// - Small: the oldest object moves to main (frequency reset to 0) if it was hit
//   at least kMoveToMainThreshold (2) times, else it is evicted and its key
//   enters the ghost FIFO; repeat until one object is evicted.
// - Main: the oldest object with frequency > 0 is reinserted at the front with
//   frequency - 1; the first with frequency 0 is evicted.
// - The ghost FIFO drops its oldest keys while it holds more than its byte
//   budget. It is trimmed when the next object is admitted, after that
//   object's own ghost entry is looked up, which gives exactly the ghost
//   contents of S3FIFOv0.c (it looks the key up before evicting).
// Difference from S3FIFOv0.c: it refuses to admit an object at least as large
// as the small FIFO unless the key is a ghost; the Cache decides admission
// here, so such objects are admitted (irrelevant unless objects exceed 10% of
// the capacity).
//
// Complexity: amortised O(1) per hook (each reinsertion lowers a frequency).
// Memory: 26 bytes per resident object (list links 8, key 8, charged bytes 8,
// queue 1, frequency 1) plus GhostLists::kBytesPerGhost per ghost; the ghosts
// name at most 90% of the capacity in bytes.
// On a hot switch: the hottest ~90% of the seeded bytes enter main and the
// coldest ~10% enter small, both in the previous policy's order (coldest
// oldest), all at frequency 0; the ghost FIFO starts empty.

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "cachelib/ghost_lists.h"
#include "cachelib/policy.h"
#include "cachelib/slot_lists.h"

namespace edgecache::cachelib {

class S3FifoPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 5;
  static constexpr double kSmallRatio = 0.10;        // small FIFO share of the capacity (bytes)
  static constexpr double kGhostRatio = 0.90;        // ghost FIFO budget, fraction of the capacity (bytes)
  static constexpr std::uint8_t kMoveToMainThreshold = 2;  // hits in small needed to move to main
  static constexpr std::uint8_t kMaxFrequency = 3;   // 2-bit counter
  static std::unique_ptr<Policy> make() { return std::make_unique<S3FifoPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request& request) noexcept override;
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void onCapacityChange(std::uint64_t capacityBytes) noexcept override;
  // Dense key ids: the ghost FIFO is indexed by id.
  void useKeyIds(KeyIdRefs* refs) noexcept override { ghost_.useKeyIds(refs); }
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<S3FifoPolicy>(*this); }
  void seed(std::span<const SeedEntry> coldToHot) noexcept override;
  std::size_t metadataBytesPerObject() const noexcept override { return 26; }

  // Introspection (tests, reports).
  bool inMain(SlotId slot) const noexcept { return queue_[slot] == kMain; }
  std::uint8_t frequency(SlotId slot) const noexcept { return freq_[slot]; }
  bool isGhost(std::uint64_t key) const noexcept { return ghost_.find(key) != GhostLists::kNotFound; }
  std::uint64_t smallBytes() const noexcept { return smallBytes_; }
  std::uint64_t mainBytes() const noexcept { return mainBytes_; }
  std::uint64_t smallCapacityBytes() const noexcept { return smallCapacity_; }

 private:
  static constexpr std::uint8_t kSmall = 0;
  static constexpr std::uint8_t kMain = 1;

  void ensure(SlotId slot);
  void link(SlotId slot, std::uint8_t queue) noexcept;
  void unlink(SlotId slot) noexcept;
  // Each returns the evicted slot; evictFromSmall returns kNoSlot when it
  // only moved objects to main (small ran empty).
  SlotId evictFromSmall() noexcept;
  SlotId evictFromMain() noexcept;
  void trimGhost() noexcept;

  SlotLists lists_{2};
  std::vector<std::uint64_t> keys_;   // by slot
  std::vector<std::uint64_t> bytes_;  // by slot: charged bytes
  std::vector<std::uint8_t> queue_;   // by slot: kSmall / kMain
  std::vector<std::uint8_t> freq_;    // by slot: 0..kMaxFrequency
  GhostLists ghost_{1};
  std::uint64_t smallCapacity_ = 0;
  std::uint64_t mainCapacity_ = 0;
  std::uint64_t ghostCapacity_ = 0;
  std::uint64_t smallBytes_ = 0;
  std::uint64_t mainBytes_ = 0;
};

}  // namespace edgecache::cachelib
