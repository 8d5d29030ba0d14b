#include "store/object_store.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <doctest/doctest.h>

#include "tests/store/body_pattern.h"
#include "tests/store/store_test_util.h"
#include "tests/test_support.h"

using namespace edgecache::store;
using edgecache::store::testing::patternBody;

namespace {

constexpr std::uint32_t kChunk = 4096;

StoreOptions optionsFor(const std::filesystem::path& dir) {
  StoreOptions o;
  o.path = dir.string();
  o.chunkBytes = kChunk;
  return o;
}

std::unique_ptr<ObjectStore> openStore(const std::filesystem::path& dir) {
  auto s = ObjectStore::open(optionsFor(dir));
  REQUIRE_MESSAGE(s.isOk(), s.message());
  return std::move(s).value();
}

// Writes `body` in pieces of `piece` bytes and commits.
void put(ObjectStore& store, const std::string& key, const std::string& body, const std::string& meta,
         std::size_t piece = 1000) {
  auto w = store.beginWrite(key);
  REQUIRE_MESSAGE(w.isOk(), w.message());
  for (std::size_t pos = 0; pos < body.size(); pos += piece) {
    auto s = w->append(std::string_view(body).substr(pos, piece));
    REQUIRE_MESSAGE(s.isOk(), s.message());
  }
  CHECK(w->bytesWritten() == body.size());
  auto s = w->commit(meta);
  REQUIRE_MESSAGE(s.isOk(), s.message());
}

std::string get(ObjectStore& store, const std::string& key) {
  auto r = store.openRead(key);
  REQUIRE_MESSAGE(r.isOk(), r.message());
  REQUIRE(r.value().has_value());
  auto body = r.value()->readAll();
  REQUIRE_MESSAGE(body.isOk(), body.message());
  return body.value();
}

}  // namespace

TEST_CASE("store: round trip of small, empty, exact-multiple and multi-chunk bodies") {
  const auto dir = edgecache::testing::tempDir("store-roundtrip");
  auto store = openStore(dir);
  CHECK(store->openReport().orphanWrites == 0);

  const std::vector<std::uint64_t> sizes = {0, 1, 100, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk, 10 * kChunk + 17};
  for (auto size : sizes) {
    const std::string key = "GET http://example.com/o" + std::to_string(size) + "\nvary:accept-encoding=gzip";
    const auto body = patternBody(key, 1, 0, size);
    for (std::size_t piece : {std::size_t{1000}, std::size_t{kChunk}, std::size_t{3 * kChunk + 5}}) {
      put(*store, key, body, "meta-" + std::to_string(piece), piece);
      auto info = store->lookup(key);
      REQUIRE(info.isOk());
      REQUIRE(info.value().has_value());
      CHECK(info.value()->sizeBytes == size);
      CHECK(info.value()->chunkBytes == kChunk);
      CHECK(info.value()->chunkCount == (size + kChunk - 1) / kChunk);
      CHECK(info.value()->metadata == "meta-" + std::to_string(piece));
      CHECK(get(*store, key) == body);
    }
  }

  // Chunks come back in order and chunk-sized.
  const auto body = patternBody("chunks", 1, 0, 3 * kChunk + 10);
  put(*store, "chunks", body, "m");
  auto r = store->openRead("chunks");
  REQUIRE(r.isOk());
  std::vector<std::size_t> lengths;
  std::string joined;
  for (;;) {
    auto c = r.value()->next();
    REQUIRE(c.isOk());
    if (!c.value()) break;
    lengths.push_back(c.value()->size());
    joined += *c.value();
  }
  CHECK(lengths == std::vector<std::size_t>{kChunk, kChunk, kChunk, 10});
  CHECK(joined == body);
  auto again = r.value()->next();  // stays at the end
  CHECK((again.isOk() && !again.value()));

  auto missing = store->lookup("nope");
  CHECK((missing.isOk() && !missing.value()));
  auto missingRead = store->openRead("nope");
  CHECK((missingRead.isOk() && !missingRead.value()));
  CHECK(store->approximateBytes() > 0);
  CHECK_FALSE(store->beginWrite("").isOk());
}

TEST_CASE("store: survives reopen; overwrite replaces and frees the old chunks") {
  const auto dir = edgecache::testing::tempDir("store-overwrite");
  std::uint64_t firstGen = 0;
  {
    auto store = openStore(dir);
    put(*store, "k", patternBody("k", 1, 0, 5 * kChunk), "v1");
    firstGen = store->lookup("k").value()->generation;
    put(*store, "k", patternBody("k", 2, 0, 2 * kChunk + 3), "v2");
    auto info = store->lookup("k").value();
    CHECK(info->generation > firstGen);
    CHECK(info->metadata == "v2");
    CHECK(get(*store, "k") == patternBody("k", 2, 0, 2 * kChunk + 3));
  }
  edgecache::store::testing::checkNoOrphans(dir.string());
  {
    auto store = openStore(dir);
    CHECK(store->openReport().orphanWrites == 0);
    CHECK(get(*store, "k") == patternBody("k", 2, 0, 2 * kChunk + 3));
    // Generations are never reused after a reopen.
    put(*store, "k2", "x", "m");
    CHECK(store->lookup("k2").value()->generation > store->lookup("k").value()->generation);
  }
}

TEST_CASE("store: erase and updateMetadata, with and without an expected generation") {
  const auto dir = edgecache::testing::tempDir("store-erase");
  {
    auto store = openStore(dir);
    put(*store, "a", patternBody("a", 1, 0, 3 * kChunk), "old");
    const auto gen = store->lookup("a").value()->generation;

    auto wrong = store->updateMetadata("a", "new", gen + 1);
    CHECK((wrong.isOk() && !wrong.value()));
    auto ok = store->updateMetadata("a", "new", gen);
    CHECK((ok.isOk() && ok.value()));
    auto info = store->lookup("a").value();
    CHECK(info->metadata == "new");
    CHECK(info->generation == gen);
    CHECK(get(*store, "a") == patternBody("a", 1, 0, 3 * kChunk));
    auto none = store->updateMetadata("absent", "x");
    CHECK((none.isOk() && !none.value()));

    auto staleErase = store->erase("a", gen + 1);
    CHECK((staleErase.isOk() && !staleErase.value()));
    CHECK(store->lookup("a").value().has_value());
    auto erased = store->erase("a", gen);
    CHECK((erased.isOk() && erased.value()));
    CHECK_FALSE(store->lookup("a").value().has_value());
    auto again = store->erase("a");
    CHECK((again.isOk() && !again.value()));

    put(*store, "b", "body", "m");
    CHECK(store->erase("b").value());
    CHECK_FALSE(store->openRead("b").value().has_value());
  }
  edgecache::store::testing::checkNoOrphans(dir.string());
}

TEST_CASE("store: forEach visits every committed object") {
  const auto dir = edgecache::testing::tempDir("store-foreach");
  auto store = openStore(dir);
  for (int i = 0; i < 20; ++i) put(*store, "key" + std::to_string(i), patternBody("x", i, 3 * kChunk), std::string("m") + std::to_string(i));
  CHECK(store->erase("key7").value());
  std::map<std::string, ObjectInfo> seen;
  auto counts = store->forEach([&](std::string_view key, const ObjectInfo& info) {
    seen.emplace(std::string(key), info);
    return true;
  });
  REQUIRE(counts.isOk());
  CHECK(counts.value().objects == 19);
  CHECK(counts.value().corruptRecords == 0);
  CHECK(seen.size() == 19);
  CHECK(seen.count("key7") == 0);
  CHECK(seen.at("key3").metadata == "m3");
  CHECK(seen.at("key3").sizeBytes == patternBody("x", 3, 3 * kChunk).size());

  int visited = 0;
  auto stopped = store->forEach([&](std::string_view, const ObjectInfo&) { return ++visited < 5; });
  CHECK(stopped.value().objects == 5);
}

TEST_CASE("store: chunk corruption is detected and the object can be erased") {
  const auto dir = edgecache::testing::tempDir("store-corrupt");
  const auto body = patternBody("victim", 1, 0, 3 * kChunk + 100);
  std::uint64_t gen = 0;
  {
    auto store = openStore(dir);
    put(*store, "victim", body, "m");
    put(*store, "bystander", body, "m");
    put(*store, "badrecord", "tiny", "m");
    gen = store->lookup("victim").value()->generation;
  }
  {
    // A second, raw path into the database: flip one byte of chunk 1 (same
    // length, so only the checksum can tell) and truncate a record.
    auto db = edgecache::store::testing::openRaw(dir.string());
    const auto key = edgecache::store::detail::chunkKey(gen, 1);
    std::string value;
    REQUIRE(db->Get(rocksdb::ReadOptions(), key, &value).ok());
    REQUIRE(value.size() == kChunk);
    value[100] = static_cast<char>(value[100] ^ 0x20);
    REQUIRE(db->Put(rocksdb::WriteOptions(), key, value).ok());
    const auto rkey = edgecache::store::detail::recordKey("badrecord");
    REQUIRE(db->Get(rocksdb::ReadOptions(), rkey, &value).ok());
    value.pop_back();
    REQUIRE(db->Put(rocksdb::WriteOptions(), rkey, value).ok());
  }
  auto store = openStore(dir);
  auto r = store->openRead("victim");
  REQUIRE(r.isOk());
  REQUIRE(r.value().has_value());
  auto c0 = r.value()->next();
  REQUIRE(c0.isOk());  // chunk 0 is intact
  auto c1 = r.value()->next();
  REQUIRE_FALSE(c1.isOk());
  CHECK(c1.message().find("corrupt") != std::string::npos);
  CHECK(c1.message().find("chunk 1") != std::string::npos);
  CHECK(c1.message().find('\n') == std::string::npos);
  CHECK_FALSE(store->openRead("victim").value()->readAll().isOk());
  CHECK(get(*store, "bystander") == body);

  CHECK(store->erase("victim", gen).value());
  CHECK_FALSE(store->lookup("victim").value().has_value());

  // A record that fails its own checksum is gone after open(), chunks too.
  CHECK(store->openReport().corruptRecords == 1);
  CHECK(store->openReport().corruptChunks == 1);
  CHECK(store->openReport().repairError.empty());
  CHECK_FALSE(store->lookup("badrecord").value().has_value());
  auto counts = store->forEach([](std::string_view, const ObjectInfo&) { return true; });
  CHECK(counts.value().objects == 1);
  CHECK(counts.value().corruptRecords == 0);
}

TEST_CASE("store: open deletes corrupt records and their chunks, never a valid object's") {
  // Before, a record failing its checksum was skipped (and counted) at every
  // start-up but stayed, and its chunks could never be reclaimed: nothing
  // else names them. Now open() deletes both, but only chunks whose
  // generation no valid record claims.
  const auto dir = edgecache::testing::tempDir("store-repair");
  const auto body = patternBody("keep", 1, 0, 2 * kChunk + 7);
  {
    auto store = openStore(dir);
    put(*store, "keep", body, "m");
    put(*store, "torn", patternBody("torn", 1, 0, 3 * kChunk), "m");
  }
  {
    namespace d = edgecache::store::detail;
    auto db = edgecache::store::testing::openRaw(dir.string());
    std::string value;
    // "torn": last byte of its checksum lost; its generation still reads.
    REQUIRE(db->Get(rocksdb::ReadOptions(), d::recordKey("torn"), &value).ok());
    value.pop_back();
    REQUIRE(db->Put(rocksdb::WriteOptions(), d::recordKey("torn"), value).ok());
    // "forged": a copy of keep's record with one metadata byte flipped, so
    // its generation field names keep's chunks: they must survive.
    REQUIRE(db->Get(rocksdb::ReadOptions(), d::recordKey("keep"), &value).ok());
    value[value.size() - 9] = static_cast<char>(value[value.size() - 9] ^ 1);
    REQUIRE(db->Put(rocksdb::WriteOptions(), d::recordKey("forged"), value).ok());
    // "stub": too short to name a generation.
    REQUIRE(db->Put(rocksdb::WriteOptions(), d::recordKey("stub"), "\x01\x02").ok());
  }
  {
    auto store = openStore(dir);
    CHECK(store->openReport().corruptRecords == 3);
    CHECK(store->openReport().corruptChunks == 3);  // torn's, none of keep's
    CHECK(store->openReport().repairError.empty());
    CHECK(get(*store, "keep") == body);
    for (const char* k : {"torn", "forged", "stub"}) CHECK_FALSE(store->lookup(k).value().has_value());
  }
  edgecache::store::testing::checkNoOrphans(dir.string());
  auto store = openStore(dir);
  CHECK(store->openReport().corruptRecords == 0);
  CHECK(get(*store, "keep") == body);
}

TEST_CASE("store: uncommitted writes are invisible; aborted ones leave nothing; crashed ones are collected at open") {
  const auto dir = edgecache::testing::tempDir("store-uncommitted");
  {
    auto store = openStore(dir);
    put(*store, "kept", "old body", "old");
    {
      auto w = store->beginWrite("kept");
      REQUIRE(w.isOk());
      REQUIRE(w->append(patternBody("kept", 2, 0, 5 * kChunk)).isOk());
      // Five chunks are in the database, but the object is still the old one.
      CHECK(store->lookup("kept").value()->metadata == "old");
      CHECK(get(*store, "kept") == "old body");
      w->abort();
      w->abort();  // idempotent
      CHECK_FALSE(w->append("x").isOk());
      CHECK_FALSE(w->commit("m").isOk());
    }
    {
      auto w = store->beginWrite("dropped");
      REQUIRE(w->append(patternBody("d", 1, 0, 3 * kChunk)).isOk());
      // destroyed without commit: aborted
    }
    CHECK_FALSE(store->lookup("dropped").value().has_value());
  }
  edgecache::store::testing::checkNoOrphans(dir.string());

  // A process that dies mid-write (no destructors run) leaves chunks and a
  // pending marker behind.
  // (One child for both: the next open() would already collect the first.)
  {
    const pid_t pid = edgecache::store::testing::spawnChild(
        {"abandon", dir.string(), std::to_string(kChunk), std::to_string(4 * kChunk + 5), "kept", "ghost"});
    const int status = edgecache::store::testing::waitChild(pid);
    REQUIRE((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  {
    auto db = edgecache::store::testing::openRaw(dir.string());
    CHECK(edgecache::store::testing::rawPendingMarkers(*db) == 2);
    std::uint64_t chunks = 0;
    for (auto [g, n] : edgecache::store::testing::rawChunkCounts(*db)) chunks += n;
    // "kept"'s committed chunk + 2 writes x 4 full chunks (the partial fifth
    // was still in the writer's buffer).
    CHECK(chunks == 1 + 8);
  }
  {
    auto store = openStore(dir);
    CHECK(store->openReport().orphanWrites == 2);
    CHECK(store->openReport().orphanChunks == 8);
    CHECK(get(*store, "kept") == "old body");
    CHECK_FALSE(store->lookup("ghost").value().has_value());
  }
  edgecache::store::testing::checkNoOrphans(dir.string());
  auto store = openStore(dir);
  CHECK(store->openReport().orphanWrites == 0);
}

TEST_CASE("store: open errors are reported, not thrown") {
  const auto dir = edgecache::testing::tempDir("store-openerr");
  auto o = optionsFor(dir);
  o.chunkBytes = 10;
  auto bad = ObjectStore::open(o);
  REQUIRE_FALSE(bad.isOk());
  CHECK(bad.message().find("chunkBytes") != std::string::npos);

  auto first = openStore(dir);
  auto second = ObjectStore::open(optionsFor(dir));  // RocksDB's LOCK file
  REQUIRE_FALSE(second.isOk());
  CHECK(second.message().rfind("store: cannot open", 0) == 0);

  StoreOptions noCreate;
  noCreate.path = (dir / "absent").string();
  noCreate.createIfMissing = false;
  CHECK_FALSE(ObjectStore::open(noCreate).isOk());
}

TEST_CASE("store: a corrupt or lost generation ceiling is recomputed, never reused") {
  // Before, an undecodable ceiling record made open() fail for good (the
  // proxy could not start without deleting its store), and a lost one
  // restarted generations at 1, under existing objects.
  const auto dir = edgecache::testing::tempDir("store-ceiling");
  const auto big = patternBody("big", 1, 0, 3 * kChunk + 1);
  std::uint64_t highest = 0;
  {
    auto store = openStore(dir);
    put(*store, "big", big, "m");
    put(*store, "empty", "", "m");  // no chunks: its generation lives only in its record
    highest = store->lookup("empty").value()->generation;
    CHECK(store->lookup("big").value()->generation < highest);
  }
  for (const bool lost : {false, true}) {
    CAPTURE(lost);
    {
      auto db = edgecache::store::testing::openRaw(dir.string());
      const std::string key(edgecache::store::detail::kGenerationCeilingKey);
      REQUIRE((lost ? db->Delete(rocksdb::WriteOptions(), key) : db->Put(rocksdb::WriteOptions(), key, "bad")).ok());
    }
    auto opened = ObjectStore::open(optionsFor(dir));
    REQUIRE_MESSAGE(opened.isOk(), opened.message());
    auto& store = *opened.value();
    CHECK(store.openReport().generationCeilingRebuilt);
    CHECK(get(store, "big") == big);
    put(store, "new", "fresh body", "m");
    const auto g = store.lookup("new").value()->generation;
    CHECK(g > highest);
    highest = g;
  }
  {
    auto store = openStore(dir);
    CHECK_FALSE(store->openReport().generationCeilingRebuilt);  // rewritten by the first new write
  }
  edgecache::store::testing::checkNoOrphans(dir.string());
}

TEST_CASE("store: RocksDB's descriptors and index memory are bounded") {
  // RocksDB's defaults keep every SST/blob file open (max_open_files -1) and
  // every table's index and filter on the heap: both grow with the database.
  // The OPTIONS file RocksDB writes at open shows what it runs with.
  const auto dir = edgecache::testing::tempDir("store-bounds");
  auto o = optionsFor(dir);
  o.maxOpenFiles = 100;
  {
    auto opened = ObjectStore::open(o);
    REQUIRE_MESSAGE(opened.isOk(), opened.message());
  }
  std::string text;
  std::filesystem::path newest;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    const auto name = e.path().filename().string();
    if (name.rfind("OPTIONS-", 0) == 0 && (newest.empty() || name > newest.filename().string())) newest = e.path();
  }
  REQUIRE_FALSE(newest.empty());
  std::ifstream in(newest);
  text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  CHECK(text.find("max_open_files=100\n") != std::string::npos);
  CHECK(text.find("cache_index_and_filter_blocks=true\n") != std::string::npos);

  o.maxOpenFiles = 5;
  auto bad = ObjectStore::open(o);
  REQUIRE_FALSE(bad.isOk());
  CHECK(bad.message().find("maxOpenFiles") != std::string::npos);
}

TEST_CASE("record format: a size whose chunk count would overflow is rejected (fuzz)") {
  // Found by fuzz_stored_records: the chunk count was checked against
  // (size + chunkBytes - 1) / chunkBytes, which wraps for sizes near 2^64,
  // so a record claiming 2^64-1 bytes in zero chunks decoded as valid.
  detail::Record r;
  r.generation = 7;
  r.sizeBytes = UINT64_MAX;
  r.chunkBytes = 2;
  CHECK_FALSE(detail::decodeRecord(detail::encodeRecord(r)));
  r.sizeBytes = UINT64_MAX - 65535;
  r.chunkBytes = 65538;
  CHECK_FALSE(detail::decodeRecord(detail::encodeRecord(r)));

  r.sizeBytes = 10;
  r.chunkBytes = 4;
  r.chunkHashes = {1, 2, 3};
  r.metadata = "m";
  const auto decoded = detail::decodeRecord(detail::encodeRecord(r));
  REQUIRE(decoded);
  CHECK(decoded->sizeBytes == 10);
  CHECK(decoded->chunkHashes == r.chunkHashes);
}
