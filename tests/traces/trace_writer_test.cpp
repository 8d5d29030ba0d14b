#include "traces/trace_writer.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "tests/test_support.h"
#include "tests/traces/trace_test_util.h"
#include "traces/synthetic.h"
#include "traces/trace_reader.h"

namespace edgecache::traces {
namespace {

using cachelib::kNoNextAccess;
using cachelib::Request;

std::vector<Request> sample() {
  // Stale next-access values on purpose: the writer must recompute them.
  return {{1, 100, 512, 99}, {2, 200, 4096, 99}, {2, 100, 512, 99}, {5, 300, 1, 99}, {9, 200, 4096, 99}};
}

}  // namespace

TEST_CASE("writeOracleGeneral then readTrace gives the requests back with next access") {
  const auto dir = testing::tempDir("writer");
  for (const char* name : {"t.oracleGeneral.bin", "t.oracleGeneral.bin.zst"}) {
    CAPTURE(name);
    const std::string path = (dir / name).string();
    REQUIRE(writeOracleGeneral(path, sample()).isOk());
    CHECK_FALSE(std::filesystem::exists(path + ".partial"));
    auto trace = readTrace(path);
    REQUIRE(trace.isOk());
    const auto& r = trace->requests;
    REQUIRE(r.size() == 5);
    const auto in = sample();
    for (std::size_t i = 0; i < r.size(); ++i) {
      CHECK(r[i].timeSeconds == in[i].timeSeconds);
      CHECK(r[i].key == in[i].key);
      CHECK(r[i].sizeBytes == in[i].sizeBytes);
    }
    CHECK(r[0].nextAccessIndex == 3);
    CHECK(r[1].nextAccessIndex == 5);
    CHECK(r[2].nextAccessIndex == kNoNextAccess);
    CHECK(r[3].nextAccessIndex == kNoNextAccess);
    CHECK(r[4].nextAccessIndex == kNoNextAccess);
  }
  // Raw layout: 24 bytes per request; compressed is smaller for a repetitive trace.
  CHECK(std::filesystem::file_size(dir / "t.oracleGeneral.bin") == 5 * 24);
}

TEST_CASE("writer round trip of a large synthetic trace, plain and zst") {
  SyntheticConfig config;
  config.requests = 300'000;
  config.objects = 20'000;
  auto requests = generateSynthetic(config);
  for (auto& r : requests) r.timeSeconds = static_cast<double>(static_cast<std::uint32_t>(r.timeSeconds));
  const auto dir = testing::tempDir("writer-big");
  for (const char* name : {"s.oracleGeneral.bin", "s.oracleGeneral.bin.zst"}) {
    CAPTURE(name);
    const std::string path = (dir / name).string();
    REQUIRE(writeOracleGeneral(path, requests).isOk());
    auto back = readTrace(path);
    REQUIRE(back.isOk());
    CHECK(testutil::sameRequests(back->requests, requests));
  }
  CHECK(std::filesystem::file_size(dir / "s.oracleGeneral.bin.zst") < std::filesystem::file_size(dir / "s.oracleGeneral.bin"));
}

TEST_CASE("writer refuses values that do not fit and names the request index") {
  const auto dir = testing::tempDir("writer-bad");
  const std::string path = (dir / "bad.oracleGeneral.bin").string();
  auto big = sample();
  big[3].sizeBytes = 5'000'000'000ull;
  auto status = writeOracleGeneral(path, big);
  REQUIRE_FALSE(status.isOk());
  CHECK(testutil::contains(status.message(), "request index 3"));
  CHECK(testutil::contains(status.message(), "field 'size'"));
  CHECK_FALSE(std::filesystem::exists(path));  // nothing half-written

  auto late = sample();
  late[2].timeSeconds = 5e9;
  status = writeOracleGeneral(path, late);
  REQUIRE_FALSE(status.isOk());
  CHECK(testutil::contains(status.message(), "request index 2: field 'time'"));

  auto negative = sample();
  negative[4].timeSeconds = -1;
  CHECK(testutil::contains(writeOracleGeneral(path, negative).message(), "request index 4"));

  auto unwritable = writeOracleGeneral((dir / "no/such/dir/x.oracleGeneral.bin").string(), sample());
  REQUIRE_FALSE(unwritable.isOk());
  CHECK(testutil::contains(unwritable.message(), "no/such/dir"));
}

TEST_CASE("writer handles an empty trace") {
  const auto dir = testing::tempDir("writer-empty");
  for (const char* name : {"e.oracleGeneral.bin", "e.oracleGeneral.bin.zst"}) {
    const std::string path = (dir / name).string();
    REQUIRE(writeOracleGeneral(path, {}).isOk());
    auto back = readTrace(path);
    REQUIRE(back.isOk());
    CHECK(back->requests.empty());
  }
}

}  // namespace edgecache::traces
