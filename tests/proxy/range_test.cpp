#include "proxy/range.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;
using std::chrono::seconds;

namespace {
const HttpTime kNow{seconds(1700000000)};
const HttpHeaders kStored{{"ETag", "\"v1\""},
                          {"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                          {"Last-Modified", "Sat, 29 Oct 1994 19:43:31 GMT"}};
}  // namespace

TEST_CASE("single ranges on a 10000-byte representation (RFC 9110 §14.1.2 examples)") {
  auto first500 = parseByteRange("bytes=0-499", 10000);
  CHECK(first500.outcome == RangeOutcome::kPartial);
  CHECK(first500.status == 206);
  CHECK(first500.firstByte == 0);
  CHECK(first500.lastByte == 499);
  CHECK(first500.contentLengthBytes == 500);
  CHECK(first500.contentRange == "bytes 0-499/10000");
  CHECK(parseByteRange("bytes=500-999", 10000).contentRange == "bytes 500-999/10000");
  auto suffix = parseByteRange("bytes=-500", 10000);
  CHECK(suffix.contentRange == "bytes 9500-9999/10000");
  CHECK(suffix.contentLengthBytes == 500);
  CHECK(parseByteRange("bytes=9500-", 10000).contentRange == "bytes 9500-9999/10000");
  CHECK(parseByteRange("bytes=0-0", 10000).contentRange == "bytes 0-0/10000");
  CHECK(parseByteRange("bytes=-1", 10000).contentRange == "bytes 9999-9999/10000");
}

TEST_CASE("clamping and case") {
  CHECK(parseByteRange("bytes=9000-20000", 10000).contentRange == "bytes 9000-9999/10000");
  CHECK(parseByteRange("bytes=-20000", 10000).contentRange == "bytes 0-9999/10000");
  CHECK(parseByteRange("Bytes = 1-2", 10000).contentRange == "bytes 1-2/10000");
  CHECK(parseByteRange("bytes=0-99999999999999999999999", 10).contentRange == "bytes 0-9/10");
  CHECK(parseByteRange("bytes=0-", 1).contentRange == "bytes 0-0/1");
}

TEST_CASE("unsatisfiable ranges give 416 with bytes */len") {
  auto r = parseByteRange("bytes=10000-", 10000);
  CHECK(r.outcome == RangeOutcome::kUnsatisfiable);
  CHECK(r.status == 416);
  CHECK(r.contentRange == "bytes */10000");
  CHECK(parseByteRange("bytes=-0", 10000).status == 416);
  CHECK(parseByteRange("bytes=0-", 0).contentRange == "bytes */0");
  CHECK(parseByteRange("bytes=-5", 0).status == 416);
  CHECK(parseByteRange("bytes=99999999999999999999999-", 10).status == 416);
}

TEST_CASE("multiple, invalid or foreign-unit ranges are ignored (full 200)") {
  for (const char* v : {"bytes=0-1,5-6", "bytes=0-1, -5", "bytes=5-1", "bytes=", "bytes", "=0-1", "items=0-1",
                        "bytes=a-b", "bytes=1-b", "bytes=--1", "bytes=-", "bytes=1", "bytes=0x10-20",
                        "bytes=1 -2", "", "\x01"}) {
    CAPTURE(v);
    auto d = parseByteRange(v, 10000);
    CHECK(d.outcome == RangeOutcome::kFull);
    CHECK(d.status == 200);
    CHECK(d.contentLengthBytes == 10000);
    CHECK(d.contentRange.empty());
  }
}

TEST_CASE("evaluateRange: GET only, one Range line") {
  HttpHeaders range{{"Range", "bytes=0-9"}};
  CHECK(evaluateRange("GET", range, kStored, 100, kNow).status == 206);
  CHECK(evaluateRange("HEAD", range, kStored, 100, kNow).status == 200);
  CHECK(evaluateRange("POST", range, kStored, 100, kNow).status == 200);
  CHECK(evaluateRange("GET", {}, kStored, 100, kNow).status == 200);
  HttpHeaders twoLines{{"Range", "bytes=0-9"}, {"Range", "bytes=10-19"}};
  CHECK(evaluateRange("GET", twoLines, kStored, 100, kNow).status == 200);
}

TEST_CASE("If-Range with an entity tag needs a strong match (RFC 9110 §13.1.5)") {
  auto withIfRange = [](const char* ifRange) {
    return HttpHeaders{{"Range", "bytes=0-9"}, {"If-Range", ifRange}};
  };
  CHECK(evaluateRange("GET", withIfRange("\"v1\""), kStored, 100, kNow).status == 206);
  CHECK(evaluateRange("GET", withIfRange("\"v2\""), kStored, 100, kNow).status == 200);
  CHECK(evaluateRange("GET", withIfRange("W/\"v1\""), kStored, 100, kNow).status == 200);
  HttpHeaders weakStored{{"ETag", "W/\"v1\""}};
  CHECK(evaluateRange("GET", withIfRange("\"v1\""), weakStored, 100, kNow).status == 200);
  CHECK(evaluateRange("GET", withIfRange("garbage"), kStored, 100, kNow).status == 200);
  // If-Range also guards an unsatisfiable range: mismatch gives the full 200.
  HttpHeaders past{{"Range", "bytes=500-"}, {"If-Range", "\"v2\""}};
  CHECK(evaluateRange("GET", past, kStored, 100, kNow).status == 200);
}

TEST_CASE("If-Range with a date needs an exact, strong Last-Modified") {
  auto withIfRange = [](const char* ifRange) {
    return HttpHeaders{{"Range", "bytes=0-9"}, {"If-Range", ifRange}};
  };
  CHECK(evaluateRange("GET", withIfRange("Sat, 29 Oct 1994 19:43:31 GMT"), kStored, 100, kNow).status == 206);
  CHECK(evaluateRange("GET", withIfRange("Sat, 29 Oct 1994 19:43:32 GMT"), kStored, 100, kNow).status == 200);
  // Last-Modified equal to Date is weak (RFC 9110 §8.8.2.2).
  HttpHeaders weakLm{{"Date", "Sat, 29 Oct 1994 19:43:31 GMT"}, {"Last-Modified", "Sat, 29 Oct 1994 19:43:31 GMT"}};
  CHECK(evaluateRange("GET", withIfRange("Sat, 29 Oct 1994 19:43:31 GMT"), weakLm, 100, kNow).status == 200);
  HttpHeaders noLm{{"Date", "Sat, 29 Oct 1994 19:43:31 GMT"}};
  CHECK(evaluateRange("GET", withIfRange("Sat, 29 Oct 1994 19:43:31 GMT"), noLm, 100, kNow).status == 200);
}
