#pragma once
// HotBodyStore: a BodyStore decorator that keeps recently read bodies in
// memory, so a cache hit on a hot object is served from a shared immutable
// buffer instead of RocksDB (no chunk lookups, checksums or copies).
//
//  - Filled on read: openRead of an object of at most maxObjectBytes reads
//    it whole from the inner store (checksummed there) into one buffer and
//    admits it; later openReads return a Reader over that buffer
//    (Reader::contiguous() != nullptr). Writes go straight to the inner
//    store: objects that are never hit cost no memory.
//  - Bounded: at most budgetBytes of bodies, split over `shards` shards;
//    each evicts by CLOCK (a reference bit, second chance). A body bigger
//    than a shard's budget is never admitted.
//  - Invalidated with the object: erase() drops the buffer before erasing
//    the inner object, and bodies are named by store ids that are never
//    reused (a replacement is a new id), so a hot copy can never be served
//    for another object. A buffer still referenced by a Reader lives until
//    that Reader goes (shared ownership), like the store's own snapshots.
//
// Thread safety: every method is thread safe (one reader/writer lock per
// shard: a hit on a hot body takes it shared, so concurrent hits never wait
// on each other; admission and erase take it exclusively for O(1) map work
// plus evictions; inner-store I/O happens outside it).
// No exceptions beyond bad_alloc. The inner store must outlive this one.

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <memory>
#include <string>

#include "proxy/body_store.h"

namespace edgecache::proxy {

struct HotTierConfig {
  std::uint64_t budgetBytes = 128ull << 20;   // total bytes of bodies kept in memory; 0 disables
  std::uint64_t maxObjectBytes = 1ull << 20;  // bigger bodies are always read from the inner store
  std::size_t shards = 16;                    // independent locks (and budgets of budgetBytes / shards)
  // Bodies at least this big live in sealed memfds and are sent with
  // sendfile(2) (one fd each while hot); 0 keeps every body in a string.
  std::uint64_t fileMinBytes = 64ull << 10;
  // Where those files live: an unnamed file (O_TMPFILE) in this directory,
  // or, when empty or when the directory cannot hold one, a memfd. The
  // proxy passes its store directory. Why a directory: on the benchmark
  // VM's ext4 (Linux 6.18) sendfile(2) sends a regular file's page-cache
  // folios with fewer lookups than a memfd's shmem pages (kernel
  // filemap_get_entry/shmem_file_splice_read: 7% of the proxy's samples at
  // 100 KiB hits); pinned A/B in bench/RESULTS.md. The price: the kernel
  // writes the bodies back to that disk once (and may drop the clean pages
  // under memory pressure, re-reading them on the next hit) — page cache,
  // as nginx's cache files are.
  std::string fileDir;
  // At most this many such files at once (and never more than a quarter of
  // RLIMIT_NOFILE); beyond it large bodies stay in memory buffers.
  std::size_t maxFiles = 1024;
};

struct HotTierStats {
  std::uint64_t hits = 0;       // openReads answered from memory
  std::uint64_t fills = 0;      // bodies admitted
  std::uint64_t evictions = 0;  // bodies dropped for space
  std::uint64_t bytes = 0;      // bytes held now
  std::uint64_t objects = 0;    // bodies held now
};

class HotBodyStore final : public BodyStore {
 public:
  HotBodyStore(BodyStore& inner, HotTierConfig config);
  ~HotBodyStore() override;

  Result<std::unique_ptr<Writer>> beginWrite(std::uint64_t storeId) override;
  Result<std::unique_ptr<Reader>> openRead(std::uint64_t storeId) override;
  Status erase(std::uint64_t storeId) override;
  Status updateMetadata(std::uint64_t storeId, std::string_view metadata) override;
  Status forEach(const ScanFn& fn) override;

  HotTierStats stats() const;

 private:
  struct Shard;
  Shard& shardOf(std::uint64_t storeId) const noexcept;

  BodyStore& inner_;
  HotTierConfig config_;
  std::uint64_t shardBudget_ = 0;
  std::uint64_t maxObject_ = 0;
  std::unique_ptr<Shard[]> shards_;
  std::atomic<std::uint64_t> hits_{0}, fills_{0}, evictions_{0};
  std::shared_ptr<std::atomic<std::size_t>> openFiles_ = std::make_shared<std::atomic<std::size_t>>(0);
  std::size_t maxFiles_ = 0;
};

}  // namespace edgecache::proxy
