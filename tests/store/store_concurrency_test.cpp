// Concurrent writers, readers and erasers on a few hot keys: a reader must
// see one whole committed version (body matching the version in its
// metadata) or nothing, never a mix or a torn body.

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "store/object_store.h"
#include "tests/store/body_pattern.h"
#include "tests/store/store_test_util.h"
#include "tests/test_support.h"

using namespace edgecache::store;
namespace st = edgecache::store::testing;

TEST_CASE("store: concurrent readers and writers never see a mixed or partial object") {
  constexpr std::uint32_t kChunk = 1024;
  constexpr int kKeys = 4;
  constexpr int kWriters = 3;
  constexpr int kWritesPerWriter = 150;
  constexpr int kReaders = 3;
  const auto dir = edgecache::testing::tempDir("store-concurrent");
  {
    StoreOptions o;
    o.path = dir.string();
    o.chunkBytes = kChunk;
    auto opened = ObjectStore::open(o);
    REQUIRE(opened.isOk());
    auto store = std::move(opened).value();

    std::atomic<int> writersLeft{kWriters};
    std::atomic<std::uint64_t> reads{0}, chunkyReads{0}, failures{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
      threads.emplace_back([&, w] {
        std::mt19937_64 rng(1000 + w);
        for (int i = 0; i < kWritesPerWriter; ++i) {
          const std::string key = "hot" + std::to_string(rng() % kKeys);
          const std::uint64_t version = static_cast<std::uint64_t>(w) << 32 | static_cast<std::uint64_t>(i);
          const auto body = st::patternBody(key, version, 12 * kChunk);
          auto writer = store->beginWrite(key);
          if (!writer) {
            failures++;
            continue;
          }
          for (std::size_t pos = 0; pos < body.size(); pos += 700)
            if (!writer->append(std::string_view(body).substr(pos, 700))) failures++;
          const auto action = rng() % 10;
          if (action == 0) {
            writer->abort();
          } else if (!writer->commit(st::versionMetadata(version))) {
            failures++;
          }
          if (action == 1 && !store->erase(key).isOk()) failures++;
          if (action == 2) {
            // A 304-style refresh must keep body and version consistent: same
            // metadata text, but written through updateMetadata.
            auto info = store->lookup(key);
            if (!info.isOk()) failures++;
            else if (info.value() && !store->updateMetadata(key, info.value()->metadata, info.value()->generation).isOk())
              failures++;
          }
        }
        writersLeft--;
      });
    }
    for (int r = 0; r < kReaders; ++r) {
      threads.emplace_back([&, r] {
        std::mt19937_64 rng(2000 + r);
        while (writersLeft.load() > 0) {
          const std::string key = "hot" + std::to_string(rng() % kKeys);
          auto reader = store->openRead(key);
          if (!reader.isOk()) {
            failures++;
            continue;
          }
          if (!reader.value()) continue;
          const auto version = st::parseVersionMetadata(reader.value()->info().metadata);
          std::string body;
          bool failed = false;
          for (;;) {
            auto chunk = reader.value()->next();
            if (!chunk.isOk()) {
              failed = true;
              MESSAGE(chunk.message());
              break;
            }
            if (!chunk.value()) break;
            body += *chunk.value();
            if (rng() % 4 == 0) std::this_thread::yield();  // let writers overtake a slow reader
          }
          if (failed || !version || body != st::patternBody(key, *version, 12 * kChunk) ||
              body.size() != reader.value()->info().sizeBytes) {
            failures++;
            continue;
          }
          reads++;
          if (reader.value()->info().chunkCount > 1) chunkyReads++;
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(failures.load() == 0);
    CHECK(reads.load() > 0);
    MESSAGE("verified reads: " << reads.load() << " (multi-chunk: " << chunkyReads.load() << ")");

    // Final state: every key is absent or a whole committed version.
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = "hot" + std::to_string(k);
      auto reader = store->openRead(key);
      REQUIRE(reader.isOk());
      if (!reader.value()) continue;
      auto body = reader.value()->readAll();
      REQUIRE(body.isOk());
      CHECK(body.value() == st::patternBody(key, *st::parseVersionMetadata(reader.value()->info().metadata), 12 * kChunk));
    }
  }
  st::checkNoOrphans(dir.string());
}

TEST_CASE("store: a reader keeps its generation across overwrite and erase") {
  const auto dir = edgecache::testing::tempDir("store-snapshot");
  StoreOptions o;
  o.path = dir.string();
  o.chunkBytes = 1024;
  auto store = std::move(ObjectStore::open(o)).value();
  const auto v1 = st::patternBody("k", 1, 0, 5000);
  auto w = store->beginWrite("k");
  REQUIRE(w->append(v1).isOk());
  REQUIRE(w->commit("v1").isOk());

  auto reader = std::move(store->openRead("k").value());
  REQUIRE(reader.has_value());
  auto first = reader->next();
  REQUIRE(first.isOk());

  auto w2 = store->beginWrite("k");
  REQUIRE(w2->append(st::patternBody("k", 2, 0, 9000)).isOk());
  REQUIRE(w2->commit("v2").isOk());
  REQUIRE(store->erase("k").value());
  CHECK_FALSE(store->lookup("k").value().has_value());

  std::string rest = *first.value();
  auto tail = reader->readAll();
  REQUIRE_MESSAGE(tail.isOk(), tail.message());
  CHECK(rest + tail.value() == v1);
  CHECK(reader->info().metadata == "v1");
}
