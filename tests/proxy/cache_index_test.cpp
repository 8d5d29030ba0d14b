// CacheIndex without sockets: hits read under the shared lock and queue their
// policy update, which every change to the index applies first, so requests
// served one at a time reach the policy in the simulator's order.

#include "proxy/cache_index.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using namespace edgecache::proxy;

namespace {

struct Fixture {
  std::unique_ptr<BodyStore> store = makeMemoryBodyStore();
  std::unique_ptr<CacheIndex> index;
  explicit Fixture(std::uint64_t capacityBytes) {
    auto created = CacheIndex::create({capacityBytes, 0 /* lru */}, *store);
    REQUIRE(created);
    index = std::move(created).value();
  }
  // A committed object of `bytes` body bytes under http://h/<name>.
  bool put(const std::string& name, std::uint64_t bytes, double now) {
    const std::uint64_t storeId = index->newStoreId();
    auto w = store->beginWrite(storeId);
    REQUIRE(w);
    REQUIRE(w.value()->append(std::string(bytes, 'x')).isOk());
    auto object = std::make_shared<StoredObject>();
    object->primaryKey = "http://h/" + name;
    object->variantId = variantHash(object->primaryKey, "");
    object->bodyBytes = bytes;
    object->response.status = 200;
    REQUIRE(w.value()->commit(encodeStoredObject(*object)).isOk());
    object->body = index->adoptBody(storeId);
    return index->insert(object, now);
  }
  bool has(const std::string& name, double now) { return index->find("http://h/" + name, {}, now) != nullptr; }
};

// "o<i>" (built by append: GCC 12 warns falsely on "o" + std::to_string(i)).
std::string objectName(int i) { return std::string("o").append(std::to_string(i)); }

}  // namespace

TEST_CASE("cache index: a queued hit reorders LRU before the next insert evicts") {
  Fixture f(200);
  REQUIRE(f.put("a", 100, 1));
  REQUIRE(f.put("b", 100, 2));
  CHECK(f.has("a", 3));  // a becomes most recent: b is now the LRU victim
  REQUIRE(f.put("c", 100, 4));
  CHECK(f.has("a", 5));
  CHECK_FALSE(f.has("b", 5));
  CHECK(f.has("c", 5));
}

TEST_CASE("cache index: a queued hit counts before a shrink and in the snapshot") {
  Fixture f(300);
  REQUIRE(f.put("a", 100, 1));
  REQUIRE(f.put("b", 100, 2));
  REQUIRE(f.put("c", 100, 3));
  CHECK(f.has("a", 4));
  f.index->resize(200);  // evicts the LRU object: b, not a
  CHECK(f.has("a", 5));
  CHECK_FALSE(f.has("b", 5));
  CHECK(f.has("c", 5));
  CHECK(f.index->snapshot().stats.hits == 3);
}

TEST_CASE("cache index: hits from many threads are all applied, none lost or doubled") {
  Fixture f(1 << 20);
  for (int i = 0; i < 8; ++i) REQUIRE(f.put(objectName(i), 1000, 1));
  constexpr int kThreads = 4, kHitsPerThread = 5000;  // well past kHitBatch: batches applied on the hit path
  std::atomic<int> found{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kHitsPerThread; ++i) found += f.has(objectName((t + i) % 8), 2) ? 1 : 0;
    });
  }
  // A writer racing the readers: replacing one object and invalidating another.
  std::thread writer([&] {
    for (int i = 0; i < 200; ++i) {
      (void)f.put("w", 500, 2);
      (void)f.index->invalidate("http://h/w");
    }
  });
  for (auto& t : threads) t.join();
  writer.join();
  CHECK(found.load() == kThreads * kHitsPerThread);
  const auto snap = f.index->snapshot();
  CHECK(snap.stats.hits == std::uint64_t(kThreads) * kHitsPerThread);
  CHECK(snap.objects == 8);
  CHECK(snap.usedBytes == 8000);
}

namespace {

// A store whose scan visits everything, then reports an I/O error (as
// RocksDB does when it meets a corrupt block part-way).
class FailingScanStore final : public BodyStore {
 public:
  explicit FailingScanStore(BodyStore& inner) : inner_(inner) {}
  Result<std::unique_ptr<Writer>> beginWrite(std::uint64_t id) override { return inner_.beginWrite(id); }
  Result<std::unique_ptr<Reader>> openRead(std::uint64_t id) override { return inner_.openRead(id); }
  Status erase(std::uint64_t id) override { return inner_.erase(id); }
  Status updateMetadata(std::uint64_t id, std::string_view metadata) override {
    return inner_.updateMetadata(id, metadata);
  }
  Status forEach(const ScanFn& fn) override {
    (void)inner_.forEach(fn);
    return Status::error("store: scanning records: Corruption: block checksum mismatch");
  }

 private:
  BodyStore& inner_;
};

StoredObject objectNamed(const std::string& name, std::uint64_t bodyBytes, std::int64_t responseTimeSeconds) {
  StoredObject object;
  object.primaryKey = "http://h/" + name;
  object.variantId = variantHash(object.primaryKey, "");
  object.bodyBytes = bodyBytes;
  object.response.status = 200;
  object.response.responseTime = HttpTime(std::chrono::seconds(responseTimeSeconds));
  return object;
}

void commitRaw(BodyStore& store, std::uint64_t storeId, const std::string& body, const std::string& metadata) {
  auto w = store.beginWrite(storeId);
  REQUIRE(w);
  REQUIRE(w.value()->append(body).isOk());
  REQUIRE(w.value()->commit(metadata).isOk());
}

}  // namespace

TEST_CASE("cache index: rebuild keeps the newest copy, erases bad ones, reports a failed scan") {
  auto store = makeMemoryBodyStore();
  commitRaw(*store, 1, "old", encodeStoredObject(objectNamed("a", 3, 100)));
  commitRaw(*store, 2, "newer", encodeStoredObject(objectNamed("a", 5, 200)));
  commitRaw(*store, 3, "xx", "not a stored object");
  commitRaw(*store, 4, "short", encodeStoredObject(objectNamed("c", 10, 100)));  // size disagrees
  FailingScanStore failing(*store);
  auto created = CacheIndex::create({1 << 20, 0}, failing);
  REQUIRE(created);
  const auto stats = created.value()->rebuild();
  CHECK(stats.loaded == 1);
  CHECK(stats.dropped == 3);
  // Before, the scan's error was dropped: a partial index with no word of it.
  CHECK(stats.scanError.find("Corruption") != std::string::npos);
  const auto a = created.value()->find("http://h/a", {}, 0.0);
  REQUIRE(a);
  CHECK(a->body->storeId() == 2);
  for (std::uint64_t gone : {1, 3, 4}) CHECK_FALSE(store->openRead(gone));
}

TEST_CASE("cache index: of two copies stored in the same second, rebuild keeps the later write") {
  // A crash between a replacement's commit and the erase of the body it
  // replaced leaves both; response times are whole seconds. Before, a tie
  // kept whichever copy the scan met first (store-id order: random), so a
  // restart could bring the replaced response back.
  auto store = makeMemoryBodyStore();
  constexpr int kVariants = 64;
  std::vector<std::uint64_t> newerIds;
  for (int i = 0; i < kVariants; ++i) {
    const std::string name = objectName(i);
    const auto olderId = 1000 + 2 * static_cast<std::uint64_t>(i), newerId = olderId + 1;
    commitRaw(*store, olderId, "old", encodeStoredObject(objectNamed(name, 3, 500)));
    commitRaw(*store, newerId, "new!", encodeStoredObject(objectNamed(name, 4, 500)));
    newerIds.push_back(newerId);
  }
  auto created = CacheIndex::create({1 << 20, 0}, *store);
  REQUIRE(created);
  const auto stats = created.value()->rebuild();
  CHECK(stats.loaded == kVariants);
  CHECK(stats.dropped == kVariants);
  CHECK(stats.scanError.empty());
  int kept = 0;
  for (int i = 0; i < kVariants; ++i) {
    const auto o = created.value()->find("http://h/" + objectName(i), {}, 0.0);
    REQUIRE(o);
    if (o->body->storeId() == newerIds[static_cast<std::size_t>(i)] && o->bodyBytes == 4) ++kept;
  }
  CHECK(kept == kVariants);
}

TEST_CASE("cache index: invalidate and purgeAll erase the body at once, even while it is being read") {
  // Before, the erase waited for the last holder: a kill -9 while a slow
  // client still streamed an invalidated response left it in the store,
  // and the next start-up served it again.
  Fixture f(1 << 20);
  REQUIRE(f.put("a", 10, 1.0));
  REQUIRE(f.put("b", 20, 1.0));
  REQUIRE(f.put("c", 30, 1.0));
  auto a = f.index->find("http://h/a", {}, 2.0);
  auto b = f.index->find("http://h/b", {}, 2.0);
  REQUIRE((a && b));
  auto streaming = f.store->openRead(a->body->storeId());
  REQUIRE(streaming);

  CHECK(f.index->invalidate("http://h/a") == 1);
  CHECK_FALSE(f.store->openRead(a->body->storeId()));
  // The reader that had it open still gets every byte.
  std::string bytes(10, '\0');
  auto got = streaming.value()->read(0, bytes);
  REQUIRE(got);
  CHECK(got.value() == 10);

  // A restart now (a still held here) indexes b and c only.
  {
    auto restarted = CacheIndex::create({1 << 20, 0}, *f.store);
    REQUIRE(restarted);
    CHECK(restarted.value()->rebuild().loaded == 2);
    CHECK(restarted.value()->find("http://h/a", {}, 3.0) == nullptr);
  }

  // purgeAll: the same for everything, b held too.
  CHECK(f.index->purgeAll() == 2);
  CHECK_FALSE(f.store->openRead(b->body->storeId()));
  auto restarted = CacheIndex::create({1 << 20, 0}, *f.store);
  REQUIRE(restarted);
  CHECK(restarted.value()->rebuild().loaded == 0);
}

TEST_CASE("cache index: a 304 refresh reaches the store only while its body is still indexed") {
  // The proxy wrote a 304's merged metadata to the store before asking the
  // index, so a 304 that lost a race with a replacement gave the replaced
  // body the newest response time: a crash before its erase, and the
  // rebuild preferred it to the replacement.
  Fixture f(1 << 20);
  const auto responseTimeOf = [&](std::uint64_t storeId) {
    std::int64_t seconds = -1;
    REQUIRE(f.store
                ->forEach([&](std::uint64_t id, std::string_view metadata, std::uint64_t, std::uint64_t) {
                  if (id == storeId) seconds = decodeStoredObject(metadata)->response.responseTime.time_since_epoch().count();
                })
                .isOk());
    return seconds;
  };
  const std::uint64_t firstId = f.index->newStoreId();
  commitRaw(*f.store, firstId, "old body", encodeStoredObject(objectNamed("a", 8, 100)));
  auto first = std::make_shared<StoredObject>(objectNamed("a", 8, 100));
  first->body = f.index->adoptBody(firstId);
  REQUIRE(f.index->insert(first, 1.0));

  auto refreshed = std::make_shared<StoredObject>(*first);
  refreshed->response.responseTime = HttpTime(std::chrono::seconds(200));
  CHECK(f.index->replaceMetadata(refreshed));
  CHECK(responseTimeOf(firstId) == 200);  // persisted

  // Replaced (at 300) while a revalidation of the first body was in flight.
  const std::uint64_t secondId = f.index->newStoreId();
  commitRaw(*f.store, secondId, "new body!", encodeStoredObject(objectNamed("a", 9, 300)));
  auto second = std::make_shared<StoredObject>(objectNamed("a", 9, 300));
  second->body = f.index->adoptBody(secondId);
  REQUIRE(f.index->insert(second, 2.0));
  auto late = std::make_shared<StoredObject>(*refreshed);  // still holds the first body
  late->response.responseTime = HttpTime(std::chrono::seconds(400));
  CHECK_FALSE(f.index->replaceMetadata(late));
  CHECK(responseTimeOf(firstId) == 200);  // untouched

  // A restart while the first body is still held keeps the replacement.
  auto restarted = CacheIndex::create({1 << 20, 0}, *f.store);
  REQUIRE(restarted);
  (void)restarted.value()->rebuild();
  const auto a = restarted.value()->find("http://h/a", {}, 3.0);
  REQUIRE(a);
  CHECK(a->bodyBytes == 9);
}
