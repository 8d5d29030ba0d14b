#include "traces/trace_reader.h"

#include <doctest/doctest.h>
#include <xxhash.h>
#include <zstd.h>

#include <string>
#include <vector>

#include "tests/test_support.h"
#include "tests/traces/trace_test_util.h"

namespace edgecache::traces {
namespace {

using cachelib::kNoNextAccess;
using cachelib::Request;
using testutil::oracleRecord;
using testutil::writeFile;

std::string zstdCompress(std::string_view bytes) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const std::size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), 3);
  REQUIRE_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

Trace mustRead(const std::string& path, const ReadOptions& options = {}) {
  auto trace = readTrace(path, options);
  INFO(trace.message());
  REQUIRE(trace.isOk());
  return std::move(trace).value();
}

}  // namespace

TEST_CASE("computeNextAccess on a crafted sequence") {
  // keys:      A  B  A  C  B  A  D
  // 1-based:   1  2  3  4  5  6  7
  std::vector<Request> r;
  for (std::uint64_t k : {1, 2, 1, 3, 2, 1, 4}) r.push_back(Request{0.0, k, 1, 12345});
  computeNextAccess(r);
  const std::vector<std::int64_t> expected = {3, 5, 6, kNoNextAccess, kNoNextAccess, kNoNextAccess, kNoNextAccess};
  for (std::size_t i = 0; i < r.size(); ++i) CHECK(r[i].nextAccessIndex == expected[i]);

  std::vector<Request> empty;
  computeNextAccess(empty);
  CHECK(empty.empty());
}

TEST_CASE("workingSet counts distinct keys and first-seen sizes") {
  std::vector<Request> r = {{0, 1, 100, -1}, {0, 2, 50, -1}, {0, 1, 999, -1}};
  const auto ws = workingSet(r);
  CHECK(ws.objects == 2);
  CHECK(ws.bytes == 150);
}

TEST_CASE("oracleGeneral: records keep the file's next-access values") {
  const auto dir = testing::tempDir("og-good");
  std::string bytes = oracleRecord(10, 7, 512, 3) + oracleRecord(11, 8, 4096, -1) + oracleRecord(12, 7, 512, -1);
  const auto path = writeFile(dir / "t.oracleGeneral.bin", bytes);
  const Trace t = mustRead(path);
  CHECK(t.format == TraceFormat::kOracleGeneral);
  CHECK(t.hasTimestamps);
  CHECK_FALSE(t.unitSize);
  REQUIRE(t.requests.size() == 3);
  CHECK(t.requests[0].timeSeconds == 10.0);
  CHECK(t.requests[0].key == 7);
  CHECK(t.requests[0].sizeBytes == 512);
  CHECK(t.requests[0].nextAccessIndex == 3);
  CHECK(t.requests[1].nextAccessIndex == kNoNextAccess);
  CHECK(t.requests[2].nextAccessIndex == kNoNextAccess);
}

TEST_CASE("oracleGeneral: INT64_MAX next access means none; big values decode") {
  const auto dir = testing::tempDir("og-big");
  std::string bytes = oracleRecord(0xFFFFFFFFu, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFFu, INT64_MAX);
  const Trace t = mustRead(writeFile(dir / "t.oracleGeneral.bin", bytes));
  REQUIRE(t.requests.size() == 1);
  CHECK(t.requests[0].timeSeconds == 4294967295.0);
  CHECK(t.requests[0].key == 0xFFFFFFFFFFFFFFFFull);
  CHECK(t.requests[0].sizeBytes == 0xFFFFFFFFull);
  CHECK(t.requests[0].nextAccessIndex == kNoNextAccess);
}

TEST_CASE("oracleGeneral: zero-size records are skipped and next access recomputed") {
  const auto dir = testing::tempDir("og-zero");
  // file positions: 1:A 2:Z(size 0) 3:A  -> after skipping: 1:A 2:A
  std::string bytes = oracleRecord(1, 1, 100, 3) + oracleRecord(2, 2, 0, -1) + oracleRecord(3, 1, 100, -1);
  const auto path = writeFile(dir / "t.oracleGeneral.bin", bytes);
  const Trace t = mustRead(path);
  CHECK(t.skippedZeroSize == 1);
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[0].nextAccessIndex == 2);
  CHECK(t.requests[1].nextAccessIndex == kNoNextAccess);

  ReadOptions keep;
  keep.skipZeroSize = false;
  const Trace all = mustRead(path, keep);
  CHECK(all.skippedZeroSize == 0);
  REQUIRE(all.requests.size() == 3);
  CHECK(all.requests[0].nextAccessIndex == 3);
  CHECK(all.requests[1].sizeBytes == 0);
}

TEST_CASE("oracleGeneral: maxRequests cuts the trace and next access stays inside it") {
  const auto dir = testing::tempDir("og-max");
  std::string bytes = oracleRecord(1, 1, 10, 3) + oracleRecord(2, 2, 10, -1) + oracleRecord(3, 1, 10, -1);
  ReadOptions options;
  options.maxRequests = 2;
  const Trace t = mustRead(writeFile(dir / "t.oracleGeneral.bin", bytes), options);
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[0].nextAccessIndex == kNoNextAccess);
}

TEST_CASE("oracleGeneral .zst decompresses, also across many blocks") {
  const auto dir = testing::tempDir("og-zst");
  std::string bytes;
  const std::uint32_t n = 200'000;  // 4.8 MB: several 1 MiB read blocks
  for (std::uint32_t i = 0; i < n; ++i) bytes += oracleRecord(i, i % 1000, 512 + i % 7, -1);
  writeFile(dir / "t.oracleGeneral.bin", bytes);
  writeFile(dir / "t.oracleGeneral.bin.zst", zstdCompress(bytes));
  ReadOptions options;
  std::uint64_t progressCalls = 0;
  options.progress = [&](std::uint64_t done, std::uint64_t total) {
    ++progressCalls;
    CHECK(done <= total);
  };
  const Trace raw = mustRead((dir / "t.oracleGeneral.bin").string(), options);
  const Trace packed = mustRead((dir / "t.oracleGeneral.bin.zst").string(), options);
  CHECK(progressCalls > 2);
  REQUIRE(raw.requests.size() == n);
  CHECK(testutil::sameRequests(raw.requests, packed.requests));
  // The file's next-access values (-1 everywhere here) are kept, not recomputed.
  CHECK(raw.requests[0].nextAccessIndex == kNoNextAccess);
}

TEST_CASE("u32be: big-endian keys of unit size") {
  const auto dir = testing::tempDir("u32");
  const std::string bytes = testutil::u32be(1) + testutil::u32be(0x01020304) + testutil::u32be(1);
  const Trace t = mustRead(writeFile(dir / "k.u32be", bytes));
  CHECK(t.unitSize);
  CHECK_FALSE(t.hasTimestamps);
  REQUIRE(t.requests.size() == 3);
  CHECK(t.requests[1].key == 0x01020304);
  CHECK(t.requests[1].sizeBytes == 1);
  CHECK(t.requests[0].nextAccessIndex == 3);
  CHECK(t.requests[2].nextAccessIndex == kNoNextAccess);
}

TEST_CASE("empty files give empty traces") {
  const auto dir = testing::tempDir("empty");
  for (const char* name : {"e.oracleGeneral.bin", "e.csv", "e.tr", "e.txt", "e.u32be", "tencent_e.txt"}) {
    INFO(name);
    const Trace t = mustRead(writeFile(dir / name, ""));
    CHECK(t.requests.empty());
  }
  // Only blank lines (CRLF too) is still empty.
  CHECK(mustRead(writeFile(dir / "blank.tr", "\n\r\n  \n\t\n")).requests.empty());
}

TEST_CASE("time id size: blanks, CRLF, empty lines, no final newline") {
  const auto dir = testing::tempDir("tr");
  const auto path = writeFile(dir / "t.tr", "1 10 100\r\n\n  2\t11   200  \r\n3 10 100");
  const Trace t = mustRead(path);
  REQUIRE(t.requests.size() == 3);
  CHECK(t.requests[1].timeSeconds == 2.0);
  CHECK(t.requests[1].key == 11);
  CHECK(t.requests[1].sizeBytes == 200);
  CHECK(t.requests[0].nextAccessIndex == 3);

  ReadOptions noNext;
  noNext.computeNextAccess = false;
  CHECK(mustRead(path, noNext).requests[0].nextAccessIndex == kNoNextAccess);

  ReadOptions two;
  two.maxRequests = 2;
  CHECK(mustRead(path, two).requests.size() == 2);
}

TEST_CASE("time id size: zero sizes are dropped by default and counted") {
  const auto dir = testing::tempDir("tr-zero");
  const auto path = writeFile(dir / "t.tr", "1 1 0\n2 2 5\n3 1 0\n");
  const Trace t = mustRead(path);
  CHECK(t.skippedZeroSize == 2);
  REQUIRE(t.requests.size() == 1);
  CHECK(t.requests[0].key == 2);
  ReadOptions keep;
  keep.skipZeroSize = false;
  CHECK(mustRead(path, keep).requests.size() == 3);
}

TEST_CASE("lines longer than a read block are read whole") {
  const auto dir = testing::tempDir("long");
  std::string content = "1 5 10\n";
  const std::string longKey(3'000'000, 'k');  // > 1 MiB buffer
  content += longKey + "\n7\n";
  const Trace t = mustRead(writeFile(dir / "long.txt", content));
  REQUIRE(t.requests.size() == 3);
  CHECK(t.requests[1].key == XXH3_64bits(longKey.data(), longKey.size()));
  CHECK(t.requests[2].key == 7);
}

TEST_CASE("txt: numeric keys are values, others hashed, unit size") {
  const auto dir = testing::tempDir("txt");
  const Trace t = mustRead(writeFile(dir / "k.txt", "42\r\n/index.html\n\n  42  \n99999999999999999999\n"));
  CHECK(t.unitSize);
  REQUIRE(t.requests.size() == 4);
  CHECK(t.requests[0].key == 42);
  CHECK(t.requests[1].key == XXH3_64bits("/index.html", 11));
  CHECK(t.requests[2].key == 42);
  CHECK(t.requests[3].key == XXH3_64bits("99999999999999999999", 20));  // does not fit: a string id
  CHECK(t.requests[0].sizeBytes == 1);
  CHECK(t.requests[0].nextAccessIndex == 3);
}

TEST_CASE("csv: libCacheSim layout with auto header") {
  const auto dir = testing::tempDir("csv");
  const auto path = writeFile(dir / "t.csv", "version,time,op,size,lbn\r\n1,5,2a,512,42\n1,6.5,28,1024,43\n1,7,2a,512,42\n");
  const Trace t = mustRead(path);
  CHECK(t.format == TraceFormat::kCsv);
  CHECK(t.hasTimestamps);
  REQUIRE(t.requests.size() == 3);
  CHECK(t.requests[0].key == 42);
  CHECK(t.requests[0].sizeBytes == 512);
  CHECK(t.requests[1].timeSeconds == 6.5);
  CHECK(t.requests[0].nextAccessIndex == 3);
}

TEST_CASE("csv: custom columns, delimiter, quoted string keys, no header") {
  const auto dir = testing::tempDir("csv2");
  const auto path = writeFile(dir / "t.csv", "\"/a.jpg\";100\n/b.jpg;7\n\"/a.jpg\" ; 100\n");
  ReadOptions options;
  options.csv.keyColumn = 1;
  options.csv.sizeColumn = 2;
  options.csv.timeColumn = 0;
  options.csv.delimiter = ';';
  const Trace t = mustRead(path, options);
  CHECK_FALSE(t.hasTimestamps);
  REQUIRE(t.requests.size() == 3);  // a string key on line 1 is not taken for a header: size is numeric
  CHECK(t.requests[0].key == XXH3_64bits("/a.jpg", 6));
  CHECK(t.requests[2].key == t.requests[0].key);
  CHECK(t.requests[1].sizeBytes == 7);
  CHECK(t.requests[0].timeSeconds == 0.0);

  // Key only: unit size; explicit header on/off.
  const auto keys = writeFile(dir / "k.csv", "key\n5\n6\n");
  ReadOptions keyOnly;
  keyOnly.csv.keyColumn = 1;
  keyOnly.csv.timeColumn = 0;
  keyOnly.csv.sizeColumn = 0;
  const Trace k = mustRead(keys, keyOnly);
  CHECK(k.unitSize);
  REQUIRE(k.requests.size() == 2);
  CHECK(k.requests[0].key == 5);
  keyOnly.csv.header = 0;
  CHECK(mustRead(keys, keyOnly).requests.size() == 3);  // "key" becomes a hashed key
  keyOnly.csv.header = 1;
  CHECK(mustRead(writeFile(dir / "h.csv", "1\n2\n"), keyOnly).requests.size() == 1);
}

TEST_CASE("tencent: timestamp via timegm, key = xxh3(id+fmt+size_cat)") {
  const auto dir = testing::tempDir("tencent");
  const std::string id = "085abb02a06850729bb01479466420d9e102d325";
  const std::string content = "20160201164604 " + id + " 5 m 12903 1 PHONE 1\r\n" +
                              "20160201164605 " + id + " 0 m 0 0 PC 12\n" +  // zero bytes
                              "20160201164605 " + id + " 5 m 12903 1 PC 3\n";
  const auto path = writeFile(dir / "tencent_photo.txt", content);
  const Trace t = mustRead(path);
  CHECK(t.format == TraceFormat::kTencent);
  CHECK(t.skippedZeroSize == 1);
  REQUIRE(t.requests.size() == 2);
  CHECK(t.requests[0].timeSeconds == 1454345164.0);  // 2016-02-01 16:46:04 UTC
  CHECK(t.requests[1].timeSeconds == 1454345165.0);
  const std::string keyText = id + "5m";
  CHECK(t.requests[0].key == XXH3_64bits(keyText.data(), keyText.size()));
  CHECK(t.requests[0].sizeBytes == 12903);
  CHECK(t.requests[0].nextAccessIndex == 2);

  ReadOptions keep;
  keep.skipZeroSize = false;
  const Trace all = mustRead(path, keep);
  REQUIRE(all.requests.size() == 3);
  CHECK(all.requests[1].key != all.requests[0].key);  // other fmt: other object
}

TEST_CASE("explicit format overrides the extension") {
  const auto dir = testing::tempDir("override");
  ReadOptions options;
  options.format = TraceFormat::kTimeIdSize;
  const Trace t = mustRead(writeFile(dir / "data.log", "1 2 3\n"), options);
  CHECK(t.requests.size() == 1);
}

TEST_CASE("zstd-compressed text formats are read too") {
  const auto dir = testing::tempDir("tr-zst");
  const std::string text = "1 10 100\n2 11 200\n3 10 100\n";
  writeFile(dir / "t.tr.zst", zstdCompress(text));
  const Trace t = mustRead((dir / "t.tr.zst").string());
  REQUIRE(t.requests.size() == 3);
  CHECK(t.requests[2].key == 10);
}

}  // namespace edgecache::traces
