// Malformed input: one clear error naming file, line/record and field; never a crash.
#include <doctest/doctest.h>
#include <zstd.h>

#include <string>

#include "tests/test_support.h"
#include "tests/traces/trace_test_util.h"
#include "traces/trace_reader.h"

namespace edgecache::traces {
namespace {

using testutil::contains;
using testutil::oracleRecord;
using testutil::writeFile;

// Reads `content` from dir/name and returns the error message (failing the
// test if the read succeeds). Every message must be a single line.
std::string errorOf(const std::string& tag, const std::string& name, const std::string& content,
                    const ReadOptions& options = {}) {
  const auto dir = testing::tempDir(tag);
  const auto path = writeFile(dir / name, content);
  auto result = readTrace(path, options);
  REQUIRE_FALSE(result.isOk());
  const std::string message = result.message();
  INFO(message);
  CHECK(contains(message, path));
  CHECK_FALSE(contains(message, "\n"));
  return message;
}

}  // namespace

TEST_CASE("time id size: each bad field is named with its line") {
  struct Case {
    const char* content;
    const char* where;
    const char* field;
  };
  const Case cases[] = {
      {"1 2 3\n1 2 abc\n", ".tr:2: ", "field 'size': expected an unsigned integer, got 'abc'"},
      {"1 2 -5\n", ".tr:1: ", "field 'size': expected an unsigned integer, got '-5'"},
      {"1 -2 5\n", ".tr:1: ", "field 'id'"},
      {"1 2 99999999999999999999\n", ".tr:1: ", "field 'size': expected an unsigned integer in range"},
      {"1 2 3x\n", ".tr:1: ", "field 'size'"},
      {"-1 2 3\n", ".tr:1: ", "field 'time'"},
      {"nan 2 3\n", ".tr:1: ", "field 'time'"},
      {"inf 2 3\n", ".tr:1: ", "field 'time'"},
      {"1e999 2 3\n", ".tr:1: ", "field 'time'"},
      {"1 2\n", ".tr:1: ", "field 'size': missing"},
      {"7\n", ".tr:1: ", "field 'id': missing"},
      {"1 2 3 junk\n", ".tr:1: ", "unexpected extra field 4 'junk'"},
      {"1 2 3\n\n\r\n1 2 x\r\n", ".tr:4: ", "field 'size'"},  // blank lines still count
      {"1 2 3\x01\n", ".tr:1: ", "got '3?'"},                 // control bytes shown safely
  };
  int i = 0;
  for (const auto& c : cases) {
    CAPTURE(c.content);
    const std::string message = errorOf("tr-bad", "bad" + std::to_string(i++) + ".tr", c.content);
    CHECK(contains(message, c.where));
    CHECK(contains(message, c.field));
  }
}

TEST_CASE("time id size: NUL byte inside a field") {
  const std::string content("1 2 3\n4 5\0006\n", 12);
  const std::string message = errorOf("tr-nul", "nul.tr", content);
  CHECK(contains(message, ".tr:2: field 'size'"));
}

TEST_CASE("binary garbage read as text fails cleanly") {
  std::string garbage;
  for (int i = 0; i < 5000; ++i) garbage.push_back(static_cast<char>((i * 131 + 7) % 256));
  const std::string message = errorOf("garbage", "garbage.tr", garbage);
  CHECK(contains(message, ".tr:1: "));
}

TEST_CASE("oracleGeneral: truncated last record names record and byte offset") {
  const std::string bytes = oracleRecord(1, 1, 1, -1) + oracleRecord(2, 2, 2, -1) + std::string(12, 'x');
  const std::string message = errorOf("og-trunc", "t.oracleGeneral.bin", bytes);
  CHECK(contains(message, "record 2 (byte offset 48): truncated, 12 of 24 bytes"));
  // A file shorter than one record.
  CHECK(contains(errorOf("og-short", "s.oracleGeneral.bin", "abc"), "record 0 (byte offset 0): truncated, 3 of 24 bytes"));
}

TEST_CASE("oracleGeneral: impossible next-access values are rejected") {
  const std::string backwards = oracleRecord(1, 1, 1, -1) + oracleRecord(2, 1, 1, 1);
  CHECK(contains(errorOf("og-next", "n.oracleGeneral.bin", backwards),
                 "record 1 (byte offset 24): field 'next_access_vtime'"));
  CHECK(contains(errorOf("og-next2", "m.oracleGeneral.bin", oracleRecord(1, 1, 1, -7)), "got -7"));
}

TEST_CASE("u32be: truncated key") {
  const std::string bytes = testutil::u32be(1) + testutil::u32be(2) + "z";
  CHECK(contains(errorOf("u32-trunc", "k.u32be", bytes), "record 2 (byte offset 8): truncated, 1 of 4 bytes"));
}

TEST_CASE("csv: missing columns and bad numbers name the column") {
  CHECK(contains(errorOf("csv-miss", "a.csv", "1,5,2a,512\n"), "a.csv:1: field 'key (column 5)': missing, line has 4 columns"));
  CHECK(contains(errorOf("csv-size", "b.csv", "version,time,op,size,lbn\n1,5,2a,big,42\n"),
                 "b.csv:2: field 'size (column 4)': expected an unsigned integer, got 'big'"));
  CHECK(contains(errorOf("csv-time", "c.csv", "1,-5,2a,512,42\n"), "c.csv:1: field 'time (column 2)'"));
  CHECK(contains(errorOf("csv-key", "d.csv", "1,5,2a,512,\n"), "d.csv:1: field 'key (column 5)': expected a key"));
  ReadOptions strict;
  strict.csv.hashKeys = false;
  strict.csv.header = 0;
  CHECK(contains(errorOf("csv-strict", "e.csv", "1,5,2a,512,abc\n", strict),
                 "e.csv:1: field 'key (column 5)': expected an unsigned integer (hashKeys is off), got 'abc'"));
  ReadOptions badOptions;
  badOptions.csv.keyColumn = 0;
  CHECK(contains(errorOf("csv-opt", "f.csv", "1\n", badOptions), "csv options: keyColumn"));
  badOptions.csv.keyColumn = 1;
  badOptions.csv.sizeColumn = -3;
  CHECK(contains(errorOf("csv-opt2", "g.csv", "1\n", badOptions), "sizeColumn"));
}

TEST_CASE("tencent: each field is validated") {
  const std::string id = "085abb02a06850729bb01479466420d9e102d325";
  const std::string ok = "20160201164604 " + id + " 5 m 12903 1 PHONE 1\n";
  struct Case {
    std::string line;
    const char* expect;
  };
  const Case cases[] = {
      {"20161301164604 " + id + " 5 m 12903 1 PHONE 1\n", ":2: field 'timestamp'"},
      {"20160230164604 " + id + " 5 m 12903 1 PHONE 1\n", ":2: field 'timestamp'"},  // 30 February
      {"2016020116460 " + id + " 5 m 12903 1 PHONE 1\n", ":2: field 'timestamp'"},
      {"20160201164604 abc 5 m 12903 1 PHONE 1\n", ":2: field 'photo_id': expected 40 hex digits, got 'abc'"},
      {"20160201164604 " + id + " x m 12903 1 PHONE 1\n", ":2: field 'fmt'"},
      {"20160201164604 " + id + " 5 m -1 1 PHONE 1\n", ":2: field 'bytes'"},
      {"20160201164604 " + id + " 5 m 12903 2 PHONE 1\n", ":2: field 'cache_hit'"},
      {"20160201164604 " + id + " 5 m 12903 1 TABLET 1\n", ":2: field 'terminal'"},
      {"20160201164604 " + id + " 5 m 12903 1 PHONE\n", ":2: field 'resp_ms': missing"},
      {"20160201164604 " + id + " 5 m 12903 1 PHONE 1 extra\n", ":2: unexpected extra field 9 'extra'"},
  };
  int i = 0;
  for (const auto& c : cases) {
    CAPTURE(c.line);
    const std::string message = errorOf("tencent-bad", "tencent_" + std::to_string(i++) + ".txt", ok + c.line);
    CHECK(contains(message, c.expect));
  }
}

TEST_CASE("zstd: truncated and corrupt streams") {
  std::string bytes;
  for (std::uint32_t i = 0; i < 10'000; ++i) bytes += oracleRecord(i, i * 2654435761u, 512, -1);
  std::string packed(ZSTD_compressBound(bytes.size()), '\0');
  packed.resize(ZSTD_compress(packed.data(), packed.size(), bytes.data(), bytes.size(), 1));
  const std::string cut = packed.substr(0, packed.size() / 2);
  CHECK(contains(errorOf("zst-cut", "t.oracleGeneral.bin.zst", cut), "zstd"));
  CHECK(contains(errorOf("zst-text", "u.oracleGeneral.bin.zst", "not zstd at all"), "zstd"));
  CHECK(contains(errorOf("zst-empty", "v.oracleGeneral.bin.zst", ""), "zstd"));
}

TEST_CASE("unreadable paths and unknown extensions") {
  const auto dir = testing::tempDir("paths");
  auto missing = readTrace((dir / "nope.tr").string());
  REQUIRE_FALSE(missing.isOk());
  CHECK(contains(missing.message(), "nope.tr: cannot open"));
  ReadOptions tr;
  tr.format = TraceFormat::kTimeIdSize;
  auto directory = readTrace(dir.string(), tr);
  REQUIRE_FALSE(directory.isOk());
  CHECK(contains(directory.message(), dir.string()));
  auto unknown = readTrace((dir / "x.parquet").string());
  REQUIRE_FALSE(unknown.isOk());
  CHECK(contains(unknown.message(), "--format"));
}

}  // namespace edgecache::traces

namespace edgecache::traces {

TEST_CASE("mutated inputs never crash: each read succeeds or fails with the path") {
  // Seeded byte flips, insertions and truncations of valid files of every format.
  const std::string id = "085abb02a06850729bb01479466420d9e102d325";
  std::string og;
  for (std::uint32_t i = 0; i < 40; ++i) og += oracleRecord(i, i % 7, 512, -1);
  const std::pair<const char*, std::string> seeds[] = {
      {"m.tr", "1 10 100\n2 11 200\r\n\n3 10 100\n"},
      {"m.csv", "version,time,op,size,lbn\n1,5,2a,512,42\n1,6,28,1024,43\n"},
      {"m.txt", "42\n/index.html\n7\n"},
      {"tencent_m.txt", "20160201164604 " + id + " 5 m 12903 1 PHONE 1\n20160201164605 " + id + " 0 b 77 0 PC 2\n"},
      {"m.oracleGeneral.bin", og},
      {"m.u32be", testutil::u32be(1) + testutil::u32be(2) + testutil::u32be(1)},
  };
  const auto dir = testing::tempDir("mutate");
  std::uint64_t state = 12345;
  const auto next = [&state](std::uint64_t bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return (state >> 33) % bound;
  };
  const char interesting[] = {'\0', '\n', '\r', ' ', '-', '9', ',', 'x', '\xff', '.'};
  int failures = 0;
  int reads = 0;
  for (const auto& [name, content] : seeds) {
    for (int round = 0; round < 150; ++round) {
      std::string bytes = content;
      const auto edits = 1 + next(3);
      for (std::uint64_t e = 0; e < edits && !bytes.empty(); ++e) {
        const auto pos = next(bytes.size());
        switch (next(4)) {
          case 0: bytes[pos] = interesting[next(sizeof interesting)]; break;
          case 1: bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(pos), interesting[next(sizeof interesting)]); break;
          case 2: bytes.resize(pos); break;
          default: bytes[pos] = static_cast<char>(next(256)); break;
        }
      }
      const auto path = writeFile(dir / name, bytes);
      auto result = readTrace(path);
      ++reads;
      if (!result.isOk()) {
        ++failures;
        CHECK(contains(result.message(), path));
        CHECK_FALSE(contains(result.message(), "\n"));
      }
    }
  }
  CHECK(failures > reads / 4);  // the mutations do hit the validation paths
}

}  // namespace edgecache::traces
