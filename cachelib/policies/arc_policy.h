#pragma once
// ARC (Megiddo & Modha, FAST'03), byte-based as libCacheSim's current ARC.c:
// resident LRU lists T1 (seen once) and T2 (seen at least twice), ghost LRU
// lists B1/B2 holding the keys (and sizes) of objects evicted from T1/T2, and
// an adaptive target p for |T1| in bytes (fractional, as in ARC.c).
//
// Rules (those of ARC.c, so miss counts match libCacheSim's):
// - A hit moves the object to the front of T2 (from T1 or within T2).
// - A miss whose key is in B1 raises p by max(|B2|/|B1|, 1) (byte sizes, so p
//   typically moves by a few bytes per ghost hit), capped at the capacity c; a
//   B2 hit lowers p by max(|B1|/|B2|, 1), floored at 0. The key leaves its
//   ghost list and is admitted to T2; any other miss is admitted to T1.
// - Victim (REPLACE): the LRU end of T1 if T1 holds more than p bytes or T2 is
//   empty, else the LRU end of T2; it becomes the newest ghost in B1 / B2.
// - Ghost bounds, per eviction for a miss that was not a ghost hit: if
//   |T1| + |B1| + incoming > c, the oldest B1 ghost is dropped (with B1 empty,
//   the victim keeps no ghost); otherwise, once |T1|+|T2|+|B1|+|B2| >= 2c, the
//   oldest B2 ghost is dropped. Evictions for a ghost hit drop no ghost.
// How this fits the Policy interface, where popVictim() does not see the
// incoming request: victims are chosen at once, but their ghost bookkeeping
// is settled in the following onInsert, where the incoming key and size are
// known; that reproduces ARC.c's ghost lists exactly. What cannot be
// reproduced: p adapts after, not before, that request's victims are chosen;
// ARC.c's tie rule "|T1| == p and the key is in B2" is not applied; and with
// B1 empty in case A, ARC.c's victim is T1's LRU end whatever p says. None of
// these changes a single miss on cloudPhysicsIO at 128..1024 MiB (exact match
// with libCacheSim at all eight sizes).
//
// Complexity: O(1) per hook (one hash lookup for the ghost check on insert).
// Memory: 25 bytes per resident object (list links 8, key 8, charged bytes 8,
// list id 1) plus GhostLists::kBytesPerGhost per ghost; the ghosts name at
// most about 2c bytes of objects (fewer after B1 trimming).
// On a hot switch: every seeded object enters T1 in the previous policy's
// order (coldest at the LRU end); T2, the ghosts and p start empty/zero.

#include <cstdint>
#include <memory>
#include <vector>

#include "cachelib/ghost_lists.h"
#include "cachelib/policy.h"
#include "cachelib/slot_lists.h"

namespace edgecache::cachelib {

class ArcPolicy final : public Policy {
 public:
  static constexpr PolicyId kId = 4;
  static std::unique_ptr<Policy> make() { return std::make_unique<ArcPolicy>(); }

  PolicyId id() const noexcept override { return kId; }
  void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept override;
  void onHit(SlotId slot, const Request& request) noexcept override;
  void onErase(SlotId slot) noexcept override;
  SlotId popVictim() noexcept override;
  void onCapacityChange(std::uint64_t capacityBytes) noexcept override;
  // Dense key ids: ghosts are indexed by id, and a victim's id stays
  // retained until its ghost bookkeeping is settled.
  void useKeyIds(KeyIdRefs* refs) noexcept override {
    refs_ = refs;
    ghosts_.useKeyIds(refs);
  }
  void exportOrder(std::vector<SlotId>& coldToHot) const override;
  std::unique_ptr<Policy> clone() const override { return std::make_unique<ArcPolicy>(*this); }
  std::size_t metadataBytesPerObject() const noexcept override { return 25; }

  // Introspection (tests, reports).
  double targetT1Bytes() const noexcept { return p_; }
  std::uint64_t t1Bytes() const noexcept { return t1Bytes_; }
  std::uint64_t t2Bytes() const noexcept { return t2Bytes_; }
  std::uint64_t b1Bytes() const noexcept { return ghosts_.bytes(kB1); }
  std::uint64_t b2Bytes() const noexcept { return ghosts_.bytes(kB2); }
  bool inT2(SlotId slot) const noexcept { return list_[slot] == kT2; }

 private:
  static constexpr std::uint8_t kT1 = 0;
  static constexpr std::uint8_t kT2 = 1;
  static constexpr std::size_t kB1 = 0;
  static constexpr std::size_t kB2 = 1;

  // A victim handed to the cache whose ghost bookkeeping waits for the
  // incoming request (see the header comment).
  struct PendingVictim {
    std::uint64_t key;
    std::uint64_t bytes;
    std::uint64_t t1BytesBefore;  // |T1| and |T2| when it was chosen
    std::uint64_t t2BytesBefore;
    bool fromT1;
  };

  void ensure(SlotId slot);
  // Applies ARC.c's per-eviction ghost rules to the pending victims.
  // `incomingBytes`/`incomingKey` describe the object being admitted (0 and
  // no key when settling outside an admission); `ghostHit` says the incoming
  // key was found in B1/B2 (its victims then drop no ghost).
  void settlePending(std::uint64_t incomingBytes, const std::uint64_t* incomingKey, bool ghostHit) noexcept;

  SlotLists lists_{2};
  std::vector<std::uint64_t> keys_;   // by slot
  std::vector<std::uint64_t> bytes_;  // by slot: charged bytes
  std::vector<std::uint8_t> list_;    // by slot: kT1 / kT2
  GhostLists ghosts_{2};
  std::vector<PendingVictim> pending_;
  KeyIdRefs* refs_ = nullptr;  // set: keys are dense ids (useKeyIds)
  std::uint64_t capacity_ = 0;
  double p_ = 0.0;  // target |T1| in bytes (fractional, as in ARC.c)
  std::uint64_t t1Bytes_ = 0;
  std::uint64_t t2Bytes_ = 0;
};

}  // namespace edgecache::cachelib
