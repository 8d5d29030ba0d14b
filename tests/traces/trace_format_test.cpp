#include "traces/trace_format.h"

#include <doctest/doctest.h>

#include <string>

namespace edgecache::traces {

TEST_CASE("formatName and parseFormat round-trip every format") {
  for (auto format : {TraceFormat::kOracleGeneral, TraceFormat::kCsv, TraceFormat::kTimeIdSize, TraceFormat::kTxt,
                      TraceFormat::kU32be, TraceFormat::kTencent}) {
    auto parsed = parseFormat(formatName(format));
    REQUIRE(parsed.isOk());
    CHECK(*parsed == format);
  }
  CHECK(parseFormat("oraclegeneral").value() == TraceFormat::kOracleGeneral);
  CHECK(parseFormat("CSV").value() == TraceFormat::kCsv);
  auto bad = parseFormat("parquet");
  REQUIRE_FALSE(bad.isOk());
  CHECK(bad.message().find("parquet") != std::string::npos);
  CHECK(bad.message().find("u32be") != std::string::npos);
}

TEST_CASE("detectFormat uses the file name only") {
  CHECK(detectFormat("/x/cloudPhysicsIO.oracleGeneral.bin").value() == TraceFormat::kOracleGeneral);
  CHECK(detectFormat("a.oracleGeneral.bin.zst").value() == TraceFormat::kOracleGeneral);
  CHECK(detectFormat("a.oracleGeneral").value() == TraceFormat::kOracleGeneral);
  CHECK(detectFormat("a.oracleGeneral.zst").value() == TraceFormat::kOracleGeneral);
  CHECK(detectFormat("a.csv").value() == TraceFormat::kCsv);
  CHECK(detectFormat("a.csv.zst").value() == TraceFormat::kCsv);
  CHECK(detectFormat("adaptsize_web.tr").value() == TraceFormat::kTimeIdSize);
  CHECK(detectFormat("keys.txt").value() == TraceFormat::kTxt);
  CHECK(detectFormat("tencent_photo_sample.txt").value() == TraceFormat::kTencent);
  CHECK(detectFormat("/data/tencent/keys.txt").value() == TraceFormat::kTxt);  // directory names do not count
  CHECK(detectFormat("cache2k_web07.u32be").value() == TraceFormat::kU32be);
  auto bad = detectFormat("/x/trace.bin");
  REQUIRE_FALSE(bad.isOk());
  CHECK(bad.message().find("/x/trace.bin") != std::string::npos);
  CHECK(bad.message().find("--format") != std::string::npos);
  CHECK_FALSE(detectFormat("").isOk());
}

}  // namespace edgecache::traces
