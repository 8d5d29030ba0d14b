// HotBodyStore over the in-memory BodyStore: fill on read, zero-copy
// readers, CLOCK eviction within the byte budget, invalidation on erase.

#include "proxy/hot_body_store.h"

#include <doctest/doctest.h>

#include <string>

#include <unistd.h>

#include "tests/test_support.h"

using namespace edgecache::proxy;

namespace {

void put(BodyStore& store, std::uint64_t id, const std::string& body) {
  auto w = store.beginWrite(id);
  REQUIRE(w);
  REQUIRE(w.value()->append(body).isOk());
  REQUIRE(w.value()->commit("meta").isOk());
}

std::string readAll(BodyStore::Reader& r) {
  std::string out(r.sizeBytes(), '\0');
  std::size_t at = 0;
  while (at < out.size()) {
    auto got = r.read(at, std::span<char>(out.data() + at, out.size() - at));
    REQUIRE(got);
    REQUIRE(got.value() > 0);
    at += got.value();
  }
  return out;
}

// budget, largest admitted body, shards; the other fields at their defaults.
HotTierConfig tier(std::uint64_t budgetBytes, std::uint64_t maxObjectBytes, std::size_t shards) {
  HotTierConfig c;
  c.budgetBytes = budgetBytes;
  c.maxObjectBytes = maxObjectBytes;
  c.shards = shards;
  return c;
}

}  // namespace

TEST_CASE("hot tier: the first read fills, later reads share one buffer") {
  auto inner = makeMemoryBodyStore();
  HotBodyStore hot(*inner, tier(1 << 20, 64 << 10, 4));
  const std::string body(5000, 'a');
  put(hot, 7, body);  // writes pass through: nothing admitted yet
  CHECK(hot.stats().objects == 0);
  auto r1 = hot.openRead(7);
  REQUIRE(r1);
  CHECK(readAll(*r1.value()) == body);
  CHECK(hot.stats().fills == 1);
  CHECK(hot.stats().hits == 0);
  auto r2 = hot.openRead(7);
  REQUIRE(r2);
  REQUIRE(r2.value()->contiguous() != nullptr);
  CHECK(*r2.value()->contiguous() == body);
  CHECK(r2.value()->contiguous() == r1.value()->contiguous());  // shared, not copied
  CHECK(hot.stats().hits == 1);
  CHECK(hot.stats().bytes == body.size());
  std::array<char, 10> tail{};
  auto got = r2.value()->read(4995, tail);
  REQUIRE(got);
  CHECK(got.value() == 5);
  CHECK(r2.value()->read(5000, tail).value() == 0);
}

TEST_CASE("hot tier: erase drops the copy before the object; a live reader keeps its bytes") {
  auto inner = makeMemoryBodyStore();
  HotBodyStore hot(*inner, tier(1 << 20, 64 << 10, 4));
  put(hot, 9, "old body");
  REQUIRE(hot.openRead(9));
  auto reader = hot.openRead(9);
  REQUIRE(reader);
  REQUIRE(hot.erase(9).isOk());
  CHECK(hot.stats().bytes == 0);
  CHECK(hot.stats().objects == 0);
  CHECK_FALSE(hot.openRead(9));       // gone from memory and from the inner store
  CHECK_FALSE(inner->openRead(9));
  CHECK(*reader.value()->contiguous() == "old body");  // a response in flight finishes
  put(hot, 10, "new body");  // a replacement is a new id
  auto fresh = hot.openRead(10);
  REQUIRE(fresh);
  CHECK(readAll(*fresh.value()) == "new body");
}

TEST_CASE("hot tier: bounded by its byte budget, CLOCK keeps the referenced body") {
  auto inner = makeMemoryBodyStore();
  HotBodyStore hot(*inner, tier(12000, 8000, 1));  // one shard: room for two 5000-byte bodies
  for (std::uint64_t id = 1; id <= 3; ++id) put(hot, id, std::string(5000, char('0' + id)));
  REQUIRE(hot.openRead(1));
  REQUIRE(hot.openRead(2));
  REQUIRE(hot.openRead(1));  // referenced: survives the next eviction
  REQUIRE(hot.openRead(3));  // over budget: 2 goes
  const auto s = hot.stats();
  CHECK(s.bytes <= 12000);
  CHECK(s.objects == 2);
  CHECK(s.evictions == 1);
  auto one = hot.openRead(1);
  REQUIRE(one);
  CHECK(one.value()->contiguous() != nullptr);
  auto two = hot.openRead(2);  // refilled from the inner store, still correct
  REQUIRE(two);
  CHECK(readAll(*two.value()) == std::string(5000, '2'));
}

TEST_CASE("hot tier: big bodies and a zero budget bypass memory") {
  auto inner = makeMemoryBodyStore();
  HotBodyStore hot(*inner, tier(1 << 20, 1000, 4));
  put(hot, 1, std::string(1001, 'b'));
  for (int i = 0; i < 2; ++i) {
    auto r = hot.openRead(1);
    REQUIRE(r);
    CHECK(r.value()->contiguous() == nullptr);
    CHECK(readAll(*r.value()) == std::string(1001, 'b'));
  }
  CHECK(hot.stats().objects == 0);
  HotBodyStore off(*inner, tier(0, 1000, 4));
  auto r = off.openRead(1);
  REQUIRE(r);
  CHECK(r.value()->contiguous() == nullptr);
  CHECK_FALSE(off.openRead(12345));  // absent ids are errors, as in the inner store
}

TEST_CASE("hot tier: large bodies live in a read-only file for sendfile, small ones in memory") {
  auto inner = makeMemoryBodyStore();
  HotTierConfig config = tier(8 << 20, 1 << 20, 1);
  config.fileMinBytes = 64 << 10;
  const auto dir = edgecache::testing::tempDir("hot-tier-files");
  std::string where;
  SUBCASE("a sealed memfd") { where = "/memfd:"; }
  SUBCASE("an unnamed file in the given directory") {
    config.fileDir = dir.string();
    where = dir.string() + "/";
  }
  SUBCASE("a directory that cannot hold one falls back to a memfd") {
    config.fileDir = (dir / "missing").string();
    where = "/memfd:";
  }
  HotBodyStore hot(*inner, config);
  std::string big(100 << 10, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7 % 251);
  put(hot, 1, big);
  put(hot, 2, "small body");
  auto r = hot.openRead(1);
  REQUIRE(r);
  const int fd = r.value()->fileDescriptor();
  REQUIRE(fd >= 0);
  char link[512] = {};
  REQUIRE(::readlink(("/proc/self/fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1) > 0);
  CHECK_MESSAGE(std::string(link).rfind(where, 0) == 0, link);
  CHECK(r.value()->contiguous() == nullptr);
  CHECK(readAll(*r.value()) == big);
  // The file holds exactly the body and cannot be changed.
  std::string viaFd(big.size(), '\0');
  CHECK(::pread(fd, viaFd.data(), viaFd.size(), 0) == static_cast<ssize_t>(big.size()));
  CHECK(viaFd == big);
  CHECK(::pwrite(fd, "x", 1, 0) < 0);
  auto again = hot.openRead(1);
  REQUIRE(again);
  CHECK(again.value()->fileDescriptor() == fd);  // shared, not re-created
  CHECK(hot.stats().bytes == big.size());
  auto s = hot.openRead(2);
  REQUIRE(s);
  CHECK(s.value()->fileDescriptor() == -1);
  REQUIRE(s.value()->contiguous() != nullptr);
  // Erased while a reader is open: the reader keeps its bytes.
  REQUIRE(hot.erase(1).isOk());
  CHECK(readAll(*again.value()) == big);
}

TEST_CASE("hot tier: beyond maxFiles large bodies stay in memory buffers") {
  auto inner = makeMemoryBodyStore();
  HotTierConfig config = tier(8 << 20, 1 << 20, 1);
  config.fileMinBytes = 1000;
  config.maxFiles = 2;
  HotBodyStore hot(*inner, config);
  for (std::uint64_t id = 1; id <= 3; ++id) put(hot, id, std::string(2000, char('a' + id)));
  auto a = hot.openRead(1), b = hot.openRead(2), c = hot.openRead(3);
  REQUIRE((a && b && c));
  CHECK(a.value()->fileDescriptor() >= 0);
  CHECK(b.value()->fileDescriptor() >= 0);
  CHECK(c.value()->fileDescriptor() == -1);  // the third would exceed maxFiles
  REQUIRE(c.value()->contiguous() != nullptr);
  CHECK(*c.value()->contiguous() == std::string(2000, 'd'));
  // Dropping a file-backed body (erase + its last reader) frees a slot.
  REQUIRE(hot.erase(1).isOk());
  a = hot.openRead(2);  // releases the old reader of body 1
  put(hot, 4, std::string(2000, 'e'));
  auto d = hot.openRead(4);
  REQUIRE(d);
  CHECK(d.value()->fileDescriptor() >= 0);
}
