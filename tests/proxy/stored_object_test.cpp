#include "proxy/stored_object.h"

#include <chrono>
#include <cstdint>
#include <limits>

#include <doctest/doctest.h>

using namespace edgecache::proxy;
using std::chrono::seconds;

namespace {

StoredObject sampleObject() {
  StoredObject o;
  o.primaryKey = "http://example.com/a";
  o.response.status = 200;
  o.response.headers = {{"Cache-Control", "max-age=60"}, {"Vary", "Accept-Encoding"}};
  o.response.varyKey = "accept-encoding:4:gzip\n";
  o.response.requestTime = HttpTime(seconds(1'700'000'000));
  o.response.responseTime = HttpTime(seconds(1'700'000'001));
  o.varyNames = {"accept-encoding"};
  o.variantId = variantHash(o.primaryKey, o.response.varyKey);
  o.bodyBytes = 42;
  return o;
}

}  // namespace

TEST_CASE("stored object: encode/decode round trip") {
  const StoredObject o = sampleObject();
  const auto decoded = decodeStoredObject(encodeStoredObject(o));
  REQUIRE(decoded);
  CHECK(decoded->primaryKey == o.primaryKey);
  CHECK(decoded->variantId == o.variantId);
  CHECK(decoded->bodyBytes == 42);
  CHECK(decoded->response.headers == o.response.headers);
  CHECK(decoded->response.requestTime == o.response.requestTime);
  CHECK(decoded->response.responseTime == o.response.responseTime);
  CHECK(decoded->varyNames == o.varyNames);
  CHECK_FALSE(decodeStoredObject(encodeStoredObject(o).substr(1)));
}

TEST_CASE("stored object: times outside the HTTP-date range are rejected (fuzz)") {
  // Found by fuzz_stored_records: a checksum-valid blob with requestTime
  // INT64_MIN and responseTime INT64_MAX decoded, and the first request for it
  // overflowed responseTime - requestTime in calculateAge (signed overflow).
  const HttpTime now{seconds(1'700'000'000)};
  for (const std::int64_t bad : {std::numeric_limits<std::int64_t>::min(), std::int64_t{-1},
                                 std::int64_t{253'402'300'800}, std::numeric_limits<std::int64_t>::max()}) {
    CAPTURE(bad);
    StoredObject o = sampleObject();
    o.response.requestTime = HttpTime(seconds(bad));
    CHECK_FALSE(decodeStoredObject(encodeStoredObject(o)));
    o = sampleObject();
    o.response.responseTime = HttpTime(seconds(bad));
    CHECK_FALSE(decodeStoredObject(encodeStoredObject(o)));
  }
  StoredObject edge = sampleObject();
  edge.response.requestTime = HttpTime(seconds(0));
  edge.response.responseTime = HttpTime(seconds(253'402'300'799));
  const auto decoded = decodeStoredObject(encodeStoredObject(edge));
  REQUIRE(decoded);
  const CachingRulesConfig config;
  (void)decideServing("GET", HttpHeaders{{"Accept-Encoding", "gzip"}}, &decoded->response, now, config);
}
