#pragma once
// ObjectStore: the proxy's persistent object store (RocksDB underneath; no
// RocksDB type appears here).
//
// Model. An object is a string key (the proxy's cache key, including the Vary
// secondary key), opaque metadata bytes (the proxy's serialized status,
// headers and times; never interpreted here) and a body. Bodies are stored as
// fixed-size chunks under a generation id that is fresh for every write. An
// object's record (generation, size, chunk count, per-chunk and whole-body
// XXH3-64 checksums, metadata) is written by commit() in one atomic RocksDB
// WriteBatch that also deletes the chunks of the generation it replaces. So:
//  - an object becomes visible only when commit() returns ok, all at once;
//  - a write that is aborted, abandoned or cut short by a crash leaves only
//    orphan chunks, which the next open() deletes (and counts);
//  - a reader pins one generation under a RocksDB snapshot and never mixes
//    the chunks of two writes, even when the key is overwritten or erased
//    while it streams.
//
// Durability. Every write goes through RocksDB's WAL, written to the OS
// before the call returns; chunks precede their record in it, and RocksDB
// replays it up to the first damaged entry. So:
//  - Process crash (kill -9), either setting: every object whose commit()
//    returned ok survives whole; so does every erase()/updateMetadata()
//    that returned (the OS page cache holds the WAL).
//  - OS crash or power loss, syncWrites = true: the same, at the cost of an
//    fsync per commit/erase/updateMetadata.
//  - OS crash or power loss, syncWrites = false (the proxy's setting): the
//    store comes back as it was at some earlier moment (a prefix of the
//    writes; what was fsynced — by RocksDB's own flushes and every 64 Ki
//    beginWrites — is kept). The last commits may be missing and the last
//    erases undone (an erased object back whole); never a partial object.
//
// Thread safety. Every ObjectStore method may be called concurrently from any
// number of threads. An ObjectWriter or ObjectReader is used by one thread at
// a time (move it between threads freely). Writers and readers keep the
// database open: they may outlive the ObjectStore that made them.
//
// Errors. Nothing here throws on an I/O or data problem (std::bad_alloc
// aside): failures come back as cachelib::Status / Result with a one-line
// message starting "store:".

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "cachelib/status.h"

namespace edgecache::store {

using cachelib::Result;
using cachelib::Status;

// Configuration of one store. Plain data; copied by open().
struct StoreOptions {
  // Directory of the RocksDB database; created (with parents) if missing.
  std::string path;
  // Body chunk size in bytes (1 KiB .. 64 MiB). Each object records the chunk
  // size it was written with, so changing this later is safe.
  std::uint32_t chunkBytes = 256 * 1024;
  // fsync the WAL at every commit/erase/updateMetadata (see Durability above).
  bool syncWrites = false;
  // RocksDB block cache for record and chunk reads, bytes; it also holds
  // the SST index and Bloom filter blocks, so they cannot grow with the
  // database beyond it.
  std::uint64_t blockCacheBytes = 64ull << 20;
  // Memtable size before a flush to disk, bytes (at most two exist at once:
  // memory is about blockCacheBytes + 2 * writeBufferBytes).
  std::uint64_t writeBufferBytes = 64ull << 20;
  // Most database files (SST and blob) RocksDB keeps open at once (>= 32);
  // beyond it files are reopened as needed. Bounds the descriptors the
  // store takes from the proxy, which needs them for connections.
  std::uint32_t maxOpenFiles = 512;
  // Keep chunk values in RocksDB blob files (integrated BlobDB) rather than
  // in the LSM tree: large values are then not rewritten by every compaction.
  bool blobFiles = true;
  // Create the database when `path` holds none; otherwise open() fails.
  bool createIfMissing = true;
};

// What lookup() and forEach() report about a committed object.
struct ObjectInfo {
  std::uint64_t sizeBytes = 0;    // body size
  std::uint64_t generation = 0;   // unique per commit of this store, never reused
  std::uint32_t chunkCount = 0;   // ceil(sizeBytes / chunkBytes)
  std::uint32_t chunkBytes = 0;   // chunk size this object was written with
  std::string metadata;           // the caller's opaque bytes
};

// Streams one body into the store. Created by ObjectStore::beginWrite().
// Destroying a writer that was neither committed nor aborted aborts it.
class ObjectWriter {
 public:
  ~ObjectWriter();
  ObjectWriter(ObjectWriter&&) noexcept;
  ObjectWriter& operator=(ObjectWriter&&) noexcept;
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // Appends body bytes (any size, including 0). Full chunks are written to
  // the database as they fill, so memory stays at about one chunk. After an
  // error the writer is failed: further calls return the same error.
  Status append(std::string_view bytes);
  // Writes the last partial chunk and the record, atomically replacing any
  // previous object of the key. The writer is finished afterwards, even on
  // error (its chunks are then removed or left for the next open()).
  Status commit(std::string_view metadata);
  // Discards everything written so far (best effort: what cannot be deleted
  // now is collected by the next open()). Idempotent.
  void abort() noexcept;
  // Body bytes appended so far.
  std::uint64_t bytesWritten() const noexcept;

 private:
  friend class ObjectStore;
  struct State;
  explicit ObjectWriter(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Streams one committed object's body, chunk by chunk, from a snapshot taken
// when it was opened. Created by ObjectStore::openRead().
class ObjectReader {
 public:
  ~ObjectReader();
  ObjectReader(ObjectReader&&) noexcept;
  ObjectReader& operator=(ObjectReader&&) noexcept;
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // The object as of the snapshot.
  const ObjectInfo& info() const noexcept;
  // The next chunk (chunkBytes long, the last one shorter), or nullopt after
  // the last chunk. Each chunk's checksum is verified before it is returned;
  // the whole-body checksum is verified before nullopt is returned. A
  // mismatch or missing chunk is an error whose message contains "corrupt":
  // the caller should treat the object as corrupt and erase() it.
  Result<std::optional<std::string>> next();
  // Convenience: the whole remaining body, with the same verification.
  Result<std::string> readAll();

 private:
  friend class ObjectStore;
  struct State;
  explicit ObjectReader(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class ObjectStore {
 public:
  // What open() collected and repaired.
  struct OpenReport {
    std::uint64_t orphanWrites = 0;    // uncommitted writes found
    std::uint64_t orphanChunks = 0;    // their chunks deleted
    std::uint64_t corruptRecords = 0;  // records failing their checksum, deleted
    std::uint64_t corruptChunks = 0;   // chunks of those records deleted
    // The persisted generation ceiling was undecodable (or missing from a
    // non-empty database) and was recomputed from the data.
    bool generationCeilingRebuilt = false;
    // Empty, or a one-line "store: ..." message when the corrupt-record
    // repair could not finish (RocksDB could not read the records); open()
    // still succeeds and the repair is tried again at the next open().
    std::string repairError;
  };

  // Opens (creating if missing and allowed) the store at options.path, then
  // repairs what a crash or corruption left: deletes the chunks of writes
  // that never committed, and every record that fails its checksum together
  // with its chunks (when the generation it names is confirmed unclaimed;
  // otherwise they stay, unreachable), and recomputes a lost or
  // undecodable generation ceiling from the data (one more record scan).
  // Reads every record once, without fill-cache, and chunks only of broken
  // writes: O(objects) at start-up.
  // Fails when the path is unusable, the database is locked by another
  // process, or options are out of range; a failed repair does not fail it.
  static Result<std::unique_ptr<ObjectStore>> open(const StoreOptions& options);

  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // What open() collected.
  const OpenReport& openReport() const noexcept;

  // Starts a write of `key` (non-empty). Nothing is visible until commit().
  // Several writers of one key may be open at once: the last commit wins.
  Result<ObjectWriter> beginWrite(std::string_view key);

  // The committed object of `key`, or nullopt. Error on I/O failure or a
  // corrupt record.
  Result<std::optional<ObjectInfo>> lookup(std::string_view key);

  // A reader of the committed object of `key`, or nullopt when there is none.
  Result<std::optional<ObjectReader>> openRead(std::string_view key);

  // Removes the object of `key` and its chunks in one atomic batch. With
  // `expectedGeneration`, removes it only if that generation is still the
  // current one (so erasing a corrupt object never removes a newer write).
  // Returns whether an object was removed. A record too corrupt to decode is
  // removed too (its chunks are then left behind).
  Result<bool> erase(std::string_view key, std::optional<std::uint64_t> expectedGeneration = std::nullopt);

  // Replaces the metadata of `key`'s object atomically, keeping its body and
  // generation (HTTP 304 refresh). With `expectedGeneration`, only if that
  // generation is still current. Returns whether an object was updated.
  Result<bool> updateMetadata(std::string_view key, std::string_view metadata,
                              std::optional<std::uint64_t> expectedGeneration = std::nullopt);

  // Calls fn(key, info) for every committed object, in key order, over a
  // consistent snapshot (for rebuilding the in-memory index at start-up).
  // fn returns false to stop early. Records that fail their checksum are
  // skipped and counted in the result's second member. Returns the number of
  // objects visited.
  struct ScanCounts {
    std::uint64_t objects = 0;
    std::uint64_t corruptRecords = 0;
  };
  Result<ScanCounts> forEach(const std::function<bool(std::string_view key, const ObjectInfo& info)>& fn);

  // Approximate bytes on disk and in memtables (records and chunks, including
  // garbage not yet compacted away). Cheap; never fails (0 when unknown).
  std::uint64_t approximateBytes() const noexcept;

  struct Impl;  // public only so the .cpp's helpers can name it

 private:
  explicit ObjectStore(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace edgecache::store
