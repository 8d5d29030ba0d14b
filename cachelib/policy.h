#pragma once
// The replacement-policy interface: the one small runtime seam through which
// the cache asks "who goes next?". A policy only *orders* objects; the Cache
// owns the key index, the byte accounting and (in the proxy) the storage.
//
// Objects are named by SlotId, a dense index the Cache assigns on admission and
// recycles after removal, so a policy keeps its per-object state in flat
// vectors indexed by slot (no per-object allocation on the hot path).
//
// Threading: every hook is called by Cache with the caller's lock on that Cache
// held (Cache is not internally synchronised). Hooks are noexcept; they may
// grow their own vectors (an allocation failure terminates, as std::vector).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "cachelib/request.h"

namespace edgecache::cachelib {

using SlotId = std::uint32_t;
inline constexpr SlotId kNoSlot = 0xffffffffu;

// Stable numeric policy id (see policy_registry.h); the agent's categorical
// action indexes these, so an id is never reused or renumbered.
using PolicyId = std::uint16_t;

// Dense key ids (ShadowBank): a host that names keys by small ids (below
// 2^32, recycled once nothing holds them) hands each policy a KeyIdRefs
// through Policy::useKeyIds(); the request keys the policy then sees are
// those ids. A policy that remembers the key of an object it no longer
// holds (a ghost, a victim still to be settled) retains the id for as long
// as it remembers it, so the host does not give it to another key, and may
// index by the id instead of hashing the key. Called under the lock of the
// policy's caller; noexcept.
class KeyIdRefs {
 public:
  virtual void retain(std::uint64_t id) noexcept = 0;
  virtual void release(std::uint64_t id) noexcept = 0;

 protected:
  ~KeyIdRefs() = default;
};

// One resident object handed to a new policy on a hot switch, coldest first.
struct SeedEntry {
  SlotId slot;
  std::uint64_t key;
  std::uint64_t chargedBytes;  // object size + per-object metadata overhead
};

class Policy {
 public:
  virtual ~Policy() = default;

  virtual PolicyId id() const noexcept = 0;
  // Registry name ("lru", "s3fifo", ...).
  std::string_view name() const noexcept;

  // A new object was admitted into `slot` (the slot is not in the policy).
  // chargedBytes counts against capacity; request carries key, size, time and
  // next access. O(1) expected unless the header of the policy says otherwise.
  virtual void onInsert(SlotId slot, const Request& request, std::uint64_t chargedBytes) noexcept = 0;
  // A resident object was requested again.
  virtual void onHit(SlotId slot, const Request& request) noexcept = 0;
  // A resident object is removed by someone else than popVictim() (purge,
  // invalidation, size change). The policy forgets the slot.
  virtual void onErase(SlotId slot) noexcept = 0;
  // Choose-victim hook: picks the next object to evict, forgets it and returns
  // its slot. Called only while the policy holds at least one object.
  [[nodiscard]] virtual SlotId popVictim() noexcept = 0;
  // Called once after construction and on every hot resize, before any
  // eviction the resize causes. Byte-aware policies (ARC, S3-FIFO) size their
  // internal queues from it.
  virtual void onCapacityChange(std::uint64_t /*capacityBytes*/) noexcept {}

  // Switches the policy to dense key ids (KeyIdRefs above); called once,
  // before the first object, by a host that names keys by id (the shadow
  // caches). `refs` outlives the policy. The default ignores it: right for
  // a policy that forgets a key with its object. A copy made by clone()
  // keeps `refs` and must not outlive it.
  virtual void useKeyIds(KeyIdRefs* /*refs*/) noexcept {}

  // Every object the policy holds, from the one it would evict first to the
  // one it would evict last (an approximation is fine: this seeds the next
  // policy on a hot switch). Clears `coldToHot` first.
  virtual void exportOrder(std::vector<SlotId>& coldToHot) const = 0;
  // Seeds an empty policy with the resident objects of the previous one, coldest
  // first. The default inserts them in that order through onInsert, which gives
  // recency-ordered policies exactly the old order.
  virtual void seed(std::span<const SeedEntry> coldToHot) noexcept;

  // A deep copy with the same order and state (the hindsight oracle replays
  // candidate decisions on copies of the live cache).
  virtual std::unique_ptr<Policy> clone() const = 0;

  // Bytes of policy state per resident object (ghost entries excluded), for
  // reports and for memory budgeting.
  virtual std::size_t metadataBytesPerObject() const noexcept = 0;
};

}  // namespace edgecache::cachelib
