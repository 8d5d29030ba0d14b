#include "store/object_store.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <unordered_set>
#include <utility>

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>
#include <xxhash.h>

#include "store/record_format.h"

namespace edgecache::store {

using detail::Record;

namespace {

// Generations are reserved in blocks: the ceiling is persisted (synced)
// before any generation below it is handed out, so a generation is never
// reused across restarts, at the cost of one synced write per block.
constexpr std::uint64_t kGenerationBlock = 1 << 16;
constexpr std::size_t kKeyLockStripes = 64;
constexpr std::uint32_t kMinChunkBytes = 1024;
constexpr std::uint32_t kMaxChunkBytes = 64u << 20;
constexpr std::uint32_t kMinOpenFiles = 32;

// Keys go into one-line messages: cap the length and hide control bytes.
std::string printableKey(std::string_view key) { return cachelib::printable(key, 120); }

std::string oneLine(const rocksdb::Status& s) {
  std::string m = s.ToString();
  std::replace(m.begin(), m.end(), '\n', ' ');
  return m;
}

Status ioError(std::string_view what, std::string_view key, const rocksdb::Status& s) {
  std::string m = "store: ";
  m += what;
  if (!key.empty()) {
    m += " '";
    m += printableKey(key);
    m += "'";
  }
  m += ": ";
  m += oneLine(s);
  return Status::error(std::move(m));
}

ObjectInfo infoOf(const Record& r) {
  ObjectInfo info;
  info.sizeBytes = r.sizeBytes;
  info.generation = r.generation;
  info.chunkCount = static_cast<std::uint32_t>(r.chunkHashes.size());
  info.chunkBytes = r.chunkBytes;
  info.metadata = r.metadata;
  return info;
}

struct XxhStateDeleter {
  void operator()(XXH3_state_t* s) const noexcept { XXH3_freeState(s); }
};
using XxhState = std::unique_ptr<XXH3_state_t, XxhStateDeleter>;

XxhState newHashState() {
  XxhState s(XXH3_createState());
  if (s) XXH3_64bits_reset(s.get());
  return s;
}

}  // namespace

struct ObjectStore::Impl {
  StoreOptions options;
  std::unique_ptr<rocksdb::DB> db;
  rocksdb::WriteOptions commitWrite;  // sync = options.syncWrites
  rocksdb::WriteOptions chunkWrite;   // never synced: a commit's sync covers earlier WAL entries
  std::array<std::mutex, kKeyLockStripes> keyLocks;
  std::mutex generationMutex;
  std::uint64_t nextGeneration = 1;     // guarded by generationMutex
  std::uint64_t generationCeiling = 1;  // guarded by generationMutex
  OpenReport report;

  ~Impl() {
    if (db) (void)db->Close();
  }

  // Serializes read-modify-write of one key's record (commit, erase,
  // updateMetadata): without it, two commits racing on one key could both
  // delete the same old generation and orphan one another's chunks.
  std::mutex& lockFor(std::string_view key) {
    return keyLocks[std::hash<std::string_view>{}(key) % kKeyLockStripes];
  }

  Result<std::uint64_t> allocateGeneration() {
    std::lock_guard lock(generationMutex);
    if (nextGeneration >= generationCeiling) {
      const std::uint64_t ceiling = nextGeneration + kGenerationBlock;
      rocksdb::WriteOptions synced;
      synced.sync = true;
      auto s = db->Put(synced, rocksdb::Slice(detail::kGenerationCeilingKey.data(), detail::kGenerationCeilingKey.size()),
                       detail::encodeU64(ceiling));
      if (!s.ok()) return ioError("reserving generations", {}, s);
      generationCeiling = ceiling;
    }
    return nextGeneration++;
  }

  // The current record of `key`: nullopt when absent; error on I/O failure.
  // `corrupt` is set (and nullopt returned) when a record exists but does not
  // decode.
  Result<std::optional<Record>> readRecord(const rocksdb::ReadOptions& ro, std::string_view key, bool* corrupt) {
    std::string value;
    auto s = db->Get(ro, detail::recordKey(key), &value);
    if (s.IsNotFound()) return std::optional<Record>();
    if (!s.ok()) return ioError("reading record of", key, s);
    auto r = detail::decodeRecord(value);
    if (!r) {
      if (corrupt) {
        *corrupt = true;
        return std::optional<Record>();
      }
      return Status::error("store: corrupt record for '" + printableKey(key) + "'");
    }
    return std::optional<Record>(std::move(*r));
  }

  static void deleteChunks(rocksdb::WriteBatch& batch, std::uint64_t generation, std::uint32_t count) {
    for (std::uint32_t i = 0; i < count; ++i) batch.Delete(detail::chunkKey(generation, i));
  }

  // Adds to `batch` a delete of every chunk of `generation` present now, and
  // returns how many. Iterates rather than trusting a count: the chunks of
  // a crashed or corrupt write are known only by their key prefix.
  Result<std::uint64_t> deleteAllChunks(rocksdb::WriteBatch& batch, std::uint64_t generation) {
    const std::string upper = detail::chunkKeyEnd(generation);
    rocksdb::Slice upperSlice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upperSlice;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    std::uint64_t chunks = 0;
    for (it->Seek(detail::chunkKey(generation, 0)); it->Valid(); it->Next()) {
      batch.Delete(it->key());
      ++chunks;
    }
    if (!it->status().ok()) return ioError("scanning chunks", {}, it->status());
    return chunks;
  }

  // Deletes the chunks and marker of every uncommitted write (crash leftovers).
  Status collectOrphans() {
    std::vector<std::uint64_t> pending;
    {
      const std::string lower(1, detail::kPendingPrefix);
      const std::string upper(1, detail::kPendingPrefix + 1);
      rocksdb::Slice upperSlice(upper);
      rocksdb::ReadOptions ro;
      ro.iterate_upper_bound = &upperSlice;
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
      for (it->Seek(lower); it->Valid(); it->Next()) {
        if (auto g = detail::parsePendingKey(std::string_view(it->key().data(), it->key().size()))) pending.push_back(*g);
      }
      if (!it->status().ok()) return ioError("scanning pending writes", {}, it->status());
    }
    for (auto g : pending) {
      rocksdb::WriteBatch batch;
      auto chunks = deleteAllChunks(batch, g);
      if (!chunks.isOk()) return chunks.status();
      batch.Delete(detail::pendingKey(g));
      auto s = db->Write(commitWrite, &batch);
      if (!s.ok()) return ioError("deleting orphan chunks", {}, s);
      report.orphanWrites += 1;
      report.orphanChunks += chunks.value();
    }
    return Status::ok();
  }

  // Calls visit(record key, value) for every record, in key order; a one-off
  // scan at open, so it does not fill the block cache.
  rocksdb::Status scanRecords(const std::function<void(const rocksdb::Slice& key, std::string_view value)>& visit) {
    const std::string lower(1, detail::kRecordPrefix);
    const std::string upper(1, detail::kRecordPrefix + 1);
    rocksdb::Slice upperSlice(upper);
    rocksdb::ReadOptions ro;
    ro.iterate_upper_bound = &upperSlice;
    ro.fill_cache = false;
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
    for (it->Seek(lower); it->Valid(); it->Next()) visit(it->key(), std::string_view(it->value().data(), it->value().size()));
    return it->status();
  }

  // Deletes every record that fails its checksum, so a corrupt record is
  // neither skipped again at every start nor left holding its chunks (no
  // other path can reach them: they are named only by that record). The
  // chunks go too when the record's generation field still reads as one
  // no valid record claims and that was handed out: a corrupt field could
  // name another object's generation, and deleting its chunks would lose
  // a good object. A scan failure (RocksDB corruption under the records)
  // only ends the repair early: it is reported, never fatal, so the store
  // still opens and forEach serves what it can read.
  void removeCorruptRecords() {
    std::vector<std::pair<std::string, std::optional<std::uint64_t>>> corrupt;  // record key, generation hint
    auto s = scanRecords([&](const rocksdb::Slice& key, std::string_view value) {
      if (!detail::decodeRecord(value)) corrupt.emplace_back(key.ToString(), detail::recordGenerationHint(value));
    });
    if (!s.ok()) {
      report.repairError = ioError("scanning records", {}, s).message();
      return;
    }
    if (corrupt.empty()) return;  // the common case: one pass, nothing kept in memory

    // Generations worth confirming: handed out (below the ceiling) and not
    // claimed by any valid record (a second pass, only when corruption was
    // found; memory stays O(corrupt records)).
    std::unordered_set<std::uint64_t> unclaimed;
    for (const auto& [key, hint] : corrupt) {
      if (hint && *hint != 0 && *hint < nextGeneration) unclaimed.insert(*hint);
    }
    if (!unclaimed.empty()) {
      s = scanRecords([&](const rocksdb::Slice&, std::string_view value) {
        if (auto rec = detail::decodeRecord(value)) unclaimed.erase(rec->generation);
      });
      if (!s.ok()) unclaimed.clear();  // cannot confirm: keep every chunk
    }
    for (const auto& [key, hint] : corrupt) {
      rocksdb::WriteBatch batch;
      std::uint64_t chunks = 0;
      if (hint && unclaimed.erase(*hint) != 0) {  // erase: two corrupt records naming one generation free it once
        auto n = deleteAllChunks(batch, *hint);
        if (n.isOk()) chunks = n.value();
        else batch.Clear();
      }
      batch.Delete(key);
      if (auto w = db->Write(commitWrite, &batch); !w.ok()) {
        report.repairError = ioError("deleting corrupt record", std::string_view(key).substr(1), w).message();
        return;
      }
      report.corruptRecords += 1;
      report.corruptChunks += chunks;
    }
  }

  Status loadGenerationCeiling() {
    std::string value;
    auto s = db->Get(rocksdb::ReadOptions(), rocksdb::Slice(detail::kGenerationCeilingKey.data(), detail::kGenerationCeilingKey.size()),
                     &value);
    if (!s.ok() && !s.IsNotFound()) return ioError("reading generation ceiling", {}, s);
    std::optional<std::uint64_t> g;
    if (s.ok()) g = detail::decodeU64(value);
    if (!g) {
      // Absent (a new database, or one that lost it) or undecodable: start
      // above every generation the database still names instead. Refusing
      // to open would strand every stored object over 8 bytes.
      auto next = generationAfterEverything();
      if (!next.isOk()) return next.status();
      report.generationCeilingRebuilt = s.ok() || next.value() > 1;
      g = next.value();
    }
    // Everything below the old ceiling may have been used: start above it.
    nextGeneration = std::max<std::uint64_t>(*g, 1);
    generationCeiling = nextGeneration;
    return Status::ok();
  }

  // One past the highest generation any chunk, pending marker or valid
  // record names (1 for an empty database). Chunk and marker keys sort by
  // generation, so one SeekForPrev each finds theirs; records (an empty
  // body has no chunk) take a scan, done only when the ceiling is missing.
  Result<std::uint64_t> generationAfterEverything() {
    std::uint64_t next = 1;
    const auto after = [&next](std::uint64_t g) {
      if (g != UINT64_MAX) next = std::max(next, g + 1);
    };
    for (const char prefix : {detail::kChunkPrefix, detail::kPendingPrefix}) {
      std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions()));
      it->SeekForPrev(std::string(1, prefix) + std::string(12, '\xff'));
      if (it->Valid() && it->key().size() >= 9 && it->key()[0] == prefix) {
        if (auto g = detail::decodeU64(std::string_view(it->key().data() + 1, 8))) after(*g);
      }
      if (!it->status().ok()) return ioError("scanning generations", {}, it->status());
    }
    const auto s = scanRecords([&](const rocksdb::Slice&, std::string_view value) {
      if (auto rec = detail::decodeRecord(value)) after(rec->generation);
    });
    if (!s.ok()) return ioError("scanning records", {}, s);
    return next;
  }
};

// ---------------------------------------------------------------- writer

struct ObjectWriter::State {
  std::shared_ptr<ObjectStore::Impl> impl;
  std::string key;
  std::uint64_t generation = 0;
  std::uint32_t chunkBytes = 0;
  std::string buffer;  // the partial chunk not yet written
  std::vector<std::uint64_t> chunkHashes;
  XxhState bodyHash;
  std::uint64_t bytes = 0;
  std::uint32_t chunksWritten = 0;
  bool markerWritten = false;
  bool finished = false;
  Status failure = Status::ok();

  Status writeChunk(std::string_view data) {
    if (chunksWritten == UINT32_MAX) return Status::error("store: object '" + printableKey(key) + "' has too many chunks");
    rocksdb::WriteBatch batch;
    // The marker rides in the first chunk's batch, so chunks never exist
    // without one: open() finds every uncommitted write from markers alone.
    if (!markerWritten) batch.Put(detail::pendingKey(generation), rocksdb::Slice());
    batch.Put(detail::chunkKey(generation, chunksWritten), rocksdb::Slice(data.data(), data.size()));
    auto s = impl->db->Write(impl->chunkWrite, &batch);
    if (!s.ok()) return ioError("writing chunk of", key, s);
    markerWritten = true;
    chunkHashes.push_back(detail::chunkHash(data));
    ++chunksWritten;
    return Status::ok();
  }

  void discard() noexcept {
    finished = true;
    if (!markerWritten) return;
    try {
      rocksdb::WriteBatch batch;
      // One past chunksWritten too: a failed Write may still have landed.
      ObjectStore::Impl::deleteChunks(batch, generation, chunksWritten + 1);
      batch.Delete(detail::pendingKey(generation));
      (void)impl->db->Write(impl->chunkWrite, &batch);  // on failure open() collects it
    } catch (...) {
      // bad_alloc: leave it to open().
    }
  }
};

ObjectWriter::ObjectWriter(std::unique_ptr<State> state) : state_(std::move(state)) {}
ObjectWriter::ObjectWriter(ObjectWriter&&) noexcept = default;
ObjectWriter& ObjectWriter::operator=(ObjectWriter&& other) noexcept {
  if (this != &other) {
    abort();
    state_ = std::move(other.state_);
  }
  return *this;
}
ObjectWriter::~ObjectWriter() { abort(); }

std::uint64_t ObjectWriter::bytesWritten() const noexcept { return state_ ? state_->bytes : 0; }

Status ObjectWriter::append(std::string_view bytes) {
  if (!state_ || state_->finished) return Status::error("store: append after commit or abort");
  auto& st = *state_;
  if (!st.failure.isOk()) return st.failure;
  XXH3_64bits_update(st.bodyHash.get(), bytes.data(), bytes.size());
  st.bytes += bytes.size();
  while (!bytes.empty()) {
    if (st.buffer.empty() && bytes.size() >= st.chunkBytes) {
      // Whole chunks straight from the caller's bytes: no copy.
      if (auto s = st.writeChunk(bytes.substr(0, st.chunkBytes)); !s.isOk()) return st.failure = s;
      bytes.remove_prefix(st.chunkBytes);
      continue;
    }
    const auto take = std::min<std::size_t>(st.chunkBytes - st.buffer.size(), bytes.size());
    st.buffer.append(bytes.substr(0, take));
    bytes.remove_prefix(take);
    if (st.buffer.size() == st.chunkBytes) {
      if (auto s = st.writeChunk(st.buffer); !s.isOk()) return st.failure = s;
      st.buffer.clear();
    }
  }
  return Status::ok();
}

Status ObjectWriter::commit(std::string_view metadata) {
  if (!state_ || state_->finished) return Status::error("store: commit after commit or abort");
  auto& st = *state_;
  if (!st.failure.isOk()) {
    st.discard();
    return st.failure;
  }
  if (metadata.size() > UINT32_MAX) {
    st.discard();
    return Status::error("store: metadata of '" + printableKey(st.key) + "' exceeds 4 GiB");
  }
  Record rec;
  rec.generation = st.generation;
  rec.sizeBytes = st.bytes;
  rec.chunkBytes = st.chunkBytes;
  rec.metadata = std::string(metadata);
  rec.bodyHash = XXH3_64bits_digest(st.bodyHash.get());
  rec.chunkHashes = st.chunkHashes;

  rocksdb::WriteBatch batch;
  if (!st.buffer.empty()) {
    // The last partial chunk joins the commit batch: a small object costs
    // exactly one write.
    batch.Put(detail::chunkKey(st.generation, st.chunksWritten), st.buffer);
    rec.chunkHashes.push_back(detail::chunkHash(st.buffer));
  }
  if (st.markerWritten) batch.Delete(detail::pendingKey(st.generation));

  auto& impl = *st.impl;
  std::lock_guard lock(impl.lockFor(st.key));
  bool corrupt = false;
  auto old = impl.readRecord(rocksdb::ReadOptions(), st.key, &corrupt);
  if (!old.isOk()) {
    st.discard();
    return old.status();
  }
  if (old.value()) ObjectStore::Impl::deleteChunks(batch, old.value()->generation, static_cast<std::uint32_t>(old.value()->chunkHashes.size()));
  batch.Put(detail::recordKey(st.key), detail::encodeRecord(rec));
  auto s = impl.db->Write(impl.commitWrite, &batch);
  if (!s.ok()) {
    st.discard();
    return ioError("committing", st.key, s);
  }
  st.finished = true;
  return Status::ok();
}

void ObjectWriter::abort() noexcept {
  if (state_ && !state_->finished) state_->discard();
}

// ---------------------------------------------------------------- reader

struct ObjectReader::State {
  std::shared_ptr<ObjectStore::Impl> impl;
  const rocksdb::Snapshot* snapshot = nullptr;
  std::string key;
  Record record;
  ObjectInfo info;
  std::uint32_t nextIndex = 0;
  XxhState bodyHash;
  bool done = false;

  ~State() {
    if (snapshot) impl->db->ReleaseSnapshot(snapshot);
  }

  Status corrupt(const std::string& what) const {
    return Status::error("store: corrupt object '" + printableKey(key) + "' generation " + std::to_string(record.generation) +
                         ": " + what);
  }
};

ObjectReader::ObjectReader(std::unique_ptr<State> state) : state_(std::move(state)) {}
ObjectReader::ObjectReader(ObjectReader&&) noexcept = default;
ObjectReader& ObjectReader::operator=(ObjectReader&&) noexcept = default;
ObjectReader::~ObjectReader() = default;

const ObjectInfo& ObjectReader::info() const noexcept { return state_->info; }

Result<std::optional<std::string>> ObjectReader::next() {
  if (!state_) return Status::error("store: read from a moved-from reader");
  auto& st = *state_;
  if (st.done) return std::optional<std::string>();
  const auto count = static_cast<std::uint32_t>(st.record.chunkHashes.size());
  if (st.nextIndex == count) {
    st.done = true;
    if (XXH3_64bits_digest(st.bodyHash.get()) != st.record.bodyHash) return st.corrupt("body checksum mismatch");
    return std::optional<std::string>();
  }
  const std::uint32_t i = st.nextIndex;
  rocksdb::ReadOptions ro;
  ro.snapshot = st.snapshot;
  ro.verify_checksums = true;
  std::string value;
  auto s = st.impl->db->Get(ro, detail::chunkKey(st.record.generation, i), &value);
  if (s.IsNotFound()) return st.corrupt("chunk " + std::to_string(i) + " missing");
  if (s.IsCorruption()) return st.corrupt("chunk " + std::to_string(i) + ": " + oneLine(s));
  if (!s.ok()) return ioError("reading chunk of", st.key, s);
  const std::uint64_t offset = static_cast<std::uint64_t>(i) * st.record.chunkBytes;
  const std::uint64_t expected = std::min<std::uint64_t>(st.record.chunkBytes, st.record.sizeBytes - offset);
  if (value.size() != expected) return st.corrupt("chunk " + std::to_string(i) + " has " + std::to_string(value.size()) + " bytes, expected " + std::to_string(expected));
  if (detail::chunkHash(value) != st.record.chunkHashes[i]) return st.corrupt("chunk " + std::to_string(i) + " checksum mismatch");
  XXH3_64bits_update(st.bodyHash.get(), value.data(), value.size());
  ++st.nextIndex;
  return std::optional<std::string>(std::move(value));
}

Result<std::string> ObjectReader::readAll() {
  std::string body;
  if (state_) body.reserve(state_->record.sizeBytes);
  for (;;) {
    auto chunk = next();
    if (!chunk.isOk()) return chunk.status();
    if (!chunk.value()) return body;
    body += *chunk.value();
  }
}

// ---------------------------------------------------------------- store

ObjectStore::ObjectStore(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
ObjectStore::~ObjectStore() = default;

const ObjectStore::OpenReport& ObjectStore::openReport() const noexcept { return impl_->report; }

Result<std::unique_ptr<ObjectStore>> ObjectStore::open(const StoreOptions& options) {
  if (options.path.empty()) return Status::error("store: StoreOptions.path is empty");
  if (options.chunkBytes < kMinChunkBytes || options.chunkBytes > kMaxChunkBytes)
    return Status::error("store: StoreOptions.chunkBytes " + std::to_string(options.chunkBytes) + " outside [1024, 64 MiB]");
  if (options.maxOpenFiles < kMinOpenFiles)
    return Status::error("store: StoreOptions.maxOpenFiles " + std::to_string(options.maxOpenFiles) + " below " +
                         std::to_string(kMinOpenFiles));
  if (options.createIfMissing) {
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec) return Status::error("store: cannot create '" + options.path + "': " + ec.message());
  }

  rocksdb::Options o;
  o.create_if_missing = options.createIfMissing;
  o.write_buffer_size = options.writeBufferBytes;
  o.paranoid_checks = true;
  // RocksDB's default (-1) keeps every SST and blob file open for good: the
  // descriptor count then grows with the database until accept() fails.
  o.max_open_files = static_cast<int>(std::min<std::uint32_t>(options.maxOpenFiles, INT32_MAX));
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.blockCacheBytes);
  // Index and filter blocks in the block cache, not on the heap per open
  // table: memory then stays within blockCacheBytes however large the
  // database grows. L0's are pinned (they are probed on every lookup).
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Records are found by point lookups; a Bloom filter spares most misses a disk read.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  if (options.blobFiles) {
    o.enable_blob_files = true;
    // Records (a few hundred bytes plus metadata) stay in the LSM tree;
    // chunk bodies go to blob files.
    o.min_blob_size = 16 * 1024;
    o.enable_blob_garbage_collection = true;
  }

  auto impl = std::make_shared<Impl>();
  impl->options = options;
  impl->commitWrite.sync = options.syncWrites;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::Open(o, options.path, &raw);
  if (!s.ok()) return Status::error("store: cannot open '" + options.path + "': " + oneLine(s));
  impl->db.reset(raw);
  if (auto st = impl->loadGenerationCeiling(); !st.isOk()) return st;
  if (auto st = impl->collectOrphans(); !st.isOk()) return st;
  impl->removeCorruptRecords();
  return std::unique_ptr<ObjectStore>(new ObjectStore(std::move(impl)));
}

Result<ObjectWriter> ObjectStore::beginWrite(std::string_view key) {
  if (key.empty()) return Status::error("store: beginWrite with an empty key");
  auto gen = impl_->allocateGeneration();
  if (!gen.isOk()) return gen.status();
  auto st = std::make_unique<ObjectWriter::State>();
  st->impl = impl_;
  st->key = std::string(key);
  st->generation = gen.value();
  st->chunkBytes = impl_->options.chunkBytes;
  st->bodyHash = newHashState();
  if (!st->bodyHash) return Status::error("store: out of memory for a hash state");
  return ObjectWriter(std::move(st));
}

Result<std::optional<ObjectInfo>> ObjectStore::lookup(std::string_view key) {
  auto r = impl_->readRecord(rocksdb::ReadOptions(), key, nullptr);
  if (!r.isOk()) return r.status();
  if (!r.value()) return std::optional<ObjectInfo>();
  return std::optional<ObjectInfo>(infoOf(*r.value()));
}

Result<std::optional<ObjectReader>> ObjectStore::openRead(std::string_view key) {
  auto st = std::make_unique<ObjectReader::State>();
  st->impl = impl_;
  st->key = std::string(key);
  // The snapshot pins this generation's record and chunks for the reader's
  // lifetime, whatever commits or erases happen meanwhile.
  st->snapshot = impl_->db->GetSnapshot();
  rocksdb::ReadOptions ro;
  ro.snapshot = st->snapshot;
  auto r = impl_->readRecord(ro, key, nullptr);
  if (!r.isOk()) return r.status();
  if (!r.value()) return std::optional<ObjectReader>();
  st->record = std::move(*r.value());
  st->info = infoOf(st->record);
  st->bodyHash = newHashState();
  if (!st->bodyHash) return Status::error("store: out of memory for a hash state");
  return std::optional<ObjectReader>(ObjectReader(std::move(st)));
}

Result<bool> ObjectStore::erase(std::string_view key, std::optional<std::uint64_t> expectedGeneration) {
  std::lock_guard lock(impl_->lockFor(key));
  bool corrupt = false;
  auto r = impl_->readRecord(rocksdb::ReadOptions(), key, &corrupt);
  if (!r.isOk()) return r.status();
  if (!r.value() && !corrupt) return false;
  rocksdb::WriteBatch batch;
  if (r.value()) {
    if (expectedGeneration && r.value()->generation != *expectedGeneration) return false;
    Impl::deleteChunks(batch, r.value()->generation, static_cast<std::uint32_t>(r.value()->chunkHashes.size()));
  }
  batch.Delete(detail::recordKey(key));
  auto s = impl_->db->Write(impl_->commitWrite, &batch);
  if (!s.ok()) return ioError("erasing", key, s);
  return true;
}

Result<bool> ObjectStore::updateMetadata(std::string_view key, std::string_view metadata,
                                         std::optional<std::uint64_t> expectedGeneration) {
  if (metadata.size() > UINT32_MAX) return Status::error("store: metadata of '" + printableKey(key) + "' exceeds 4 GiB");
  std::lock_guard lock(impl_->lockFor(key));
  auto r = impl_->readRecord(rocksdb::ReadOptions(), key, nullptr);
  if (!r.isOk()) return r.status();
  if (!r.value()) return false;
  Record rec = std::move(*r.value());
  if (expectedGeneration && rec.generation != *expectedGeneration) return false;
  rec.metadata = std::string(metadata);
  auto s = impl_->db->Put(impl_->commitWrite, detail::recordKey(key), detail::encodeRecord(rec));
  if (!s.ok()) return ioError("updating metadata of", key, s);
  return true;
}

Result<ObjectStore::ScanCounts> ObjectStore::forEach(
    const std::function<bool(std::string_view key, const ObjectInfo& info)>& fn) {
  const std::string lower(1, detail::kRecordPrefix);
  const std::string upper(1, detail::kRecordPrefix + 1);
  rocksdb::Slice upperSlice(upper);
  rocksdb::ReadOptions ro;
  ro.iterate_upper_bound = &upperSlice;
  ro.fill_cache = false;  // a one-off scan should not evict the working set
  std::unique_ptr<rocksdb::Iterator> it(impl_->db->NewIterator(ro));
  ScanCounts counts;
  for (it->Seek(lower); it->Valid(); it->Next()) {
    const std::string_view k(it->key().data() + 1, it->key().size() - 1);
    auto rec = detail::decodeRecord(std::string_view(it->value().data(), it->value().size()));
    if (!rec) {
      ++counts.corruptRecords;
      continue;
    }
    ++counts.objects;
    if (!fn(k, infoOf(*rec))) break;
  }
  if (!it->status().ok()) return ioError("scanning records", {}, it->status());
  return counts;
}

std::uint64_t ObjectStore::approximateBytes() const noexcept {
  std::uint64_t total = 0;
  for (const auto* property : {&rocksdb::DB::Properties::kTotalSstFilesSize, &rocksdb::DB::Properties::kTotalBlobFileSize,
                               &rocksdb::DB::Properties::kCurSizeAllMemTables}) {
    std::uint64_t v = 0;
    if (impl_->db->GetIntProperty(*property, &v)) total += v;
  }
  return total;
}

}  // namespace edgecache::store
