#pragma once
// Shared by the store tests: direct RocksDB access to the store's database
// (to corrupt it and to audit its chunks) and the crash-child launcher.
// Call the raw functions only while no ObjectStore has the directory open.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>
#include <rocksdb/db.h>

#include "store/record_format.h"

namespace edgecache::store::testing {

inline std::unique_ptr<rocksdb::DB> openRaw(const std::string& dir) {
  rocksdb::Options o;
  rocksdb::DB* raw = nullptr;
  const auto s = rocksdb::DB::Open(o, dir, &raw);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return std::unique_ptr<rocksdb::DB>(raw);
}

// Chunk keys present, by generation: generation -> number of chunks.
inline std::map<std::uint64_t, std::uint32_t> rawChunkCounts(rocksdb::DB& db) {
  std::map<std::uint64_t, std::uint32_t> counts;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, detail::kChunkPrefix)); it->Valid() && it->key()[0] == detail::kChunkPrefix; it->Next()) {
    REQUIRE(it->key().size() == 13);
    counts[*detail::decodeU64(std::string_view(it->key().data() + 1, 8))] += 1;
  }
  REQUIRE(it->status().ok());
  return counts;
}

// Committed records by generation: generation -> chunk count it claims.
inline std::map<std::uint64_t, std::uint32_t> rawRecordChunkCounts(rocksdb::DB& db) {
  std::map<std::uint64_t, std::uint32_t> counts;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, detail::kRecordPrefix)); it->Valid() && it->key()[0] == detail::kRecordPrefix; it->Next()) {
    auto rec = detail::decodeRecord(std::string_view(it->value().data(), it->value().size()));
    REQUIRE(rec.has_value());
    if (!rec->chunkHashes.empty()) counts[rec->generation] = static_cast<std::uint32_t>(rec->chunkHashes.size());
  }
  REQUIRE(it->status().ok());
  return counts;
}

inline std::uint64_t rawPendingMarkers(rocksdb::DB& db) {
  std::uint64_t n = 0;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(std::string(1, detail::kPendingPrefix)); it->Valid() && it->key()[0] == detail::kPendingPrefix; it->Next()) ++n;
  return n;
}

// The store's invariant at rest: every chunk belongs to a committed record
// (which names exactly that many chunks), and no write is pending.
inline void checkNoOrphans(const std::string& dir) {
  auto db = openRaw(dir);
  CHECK(rawChunkCounts(*db) == rawRecordChunkCounts(*db));
  CHECK(rawPendingMarkers(*db) == 0);
}

// fork() + exec() the crash-child helper with `args`; returns its pid.
// `keepFd` (if >= 0) is passed to the child as fd 3.
inline pid_t spawnChild(const std::vector<std::string>& args, int keepFd = -1) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    if (keepFd >= 0 && ::dup2(keepFd, 3) < 0) ::_exit(127);  // dup2 clears close-on-exec
    std::vector<char*> argv;
    std::string exe = EDGECACHE_STORE_CRASH_CHILD;
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  return pid;
}

inline int waitChild(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  return status;
}

}  // namespace edgecache::store::testing
