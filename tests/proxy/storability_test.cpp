#include "proxy/storability.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

namespace {
const CachingRulesConfig kConfig;

Storability store(int status, const HttpHeaders& response, const HttpHeaders& request = {},
                  std::string_view method = "GET", std::optional<std::uint64_t> length = std::nullopt,
                  const CachingRulesConfig& config = kConfig) {
  return evaluateStorability(method, request, status, response, length, config);
}

const HttpHeaders kMaxAge{{"Cache-Control", "max-age=60"}};
const HttpHeaders kValidatorOnly{{"ETag", "\"v1\""}};
}  // namespace

TEST_CASE("heuristically cacheable status codes (RFC 9110 §15.1)") {
  for (int s : {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}) {
    CAPTURE(s);
    CHECK(isHeuristicallyCacheableStatus(s));
  }
  for (int s : {100, 201, 202, 302, 303, 304, 307, 400, 401, 403, 500, 502, 503, 504}) {
    CAPTURE(s);
    CHECK_FALSE(isHeuristicallyCacheableStatus(s));
  }
}

TEST_CASE("storable: GET 200 with max-age") {
  auto s = store(200, kMaxAge);
  CHECK(s.storable);
  CHECK(s.reason == "storable");
}

TEST_CASE("method: only GET; HEAD and unsafe methods are not stored") {
  CHECK_FALSE(store(200, kMaxAge, {}, "HEAD").storable);
  CHECK_FALSE(store(200, kMaxAge, {}, "POST").storable);
  CHECK_FALSE(store(200, kMaxAge, {}, "get").storable);  // methods are case-sensitive
  CHECK_FALSE(store(200, kMaxAge, {}, "").storable);
}

TEST_CASE("status: non-final, 304 and (by default) 206 are not stored") {
  CHECK_FALSE(store(100, kMaxAge).storable);
  CHECK_FALSE(store(304, kMaxAge).storable);
  CHECK_FALSE(store(206, kMaxAge).storable);
  CachingRulesConfig partial;
  partial.storePartialContent = true;
  CHECK(store(206, kMaxAge, {}, "GET", std::nullopt, partial).storable);
  CHECK_FALSE(store(-1, kMaxAge).storable);
  CHECK_FALSE(store(1000, kMaxAge).storable);
}

TEST_CASE("status: others only with explicit freshness (RFC 9111 §3)") {
  CHECK_FALSE(store(302, kValidatorOnly).storable);
  CHECK_FALSE(store(500, kValidatorOnly).storable);
  CHECK(store(302, kMaxAge).storable);
  CHECK(store(307, HttpHeaders{{"Expires", "Thu, 01 Dec 2094 16:00:00 GMT"}}).storable);
  CHECK(store(500, HttpHeaders{{"Cache-Control", "s-maxage=5"}}).storable);
  // public counts as "explicitly cacheable" but still needs a validator (our no-default-TTL rule).
  CHECK_FALSE(store(302, HttpHeaders{{"Cache-Control", "public"}}).storable);
  CHECK(store(302, HttpHeaders{{"Cache-Control", "public"}, {"ETag", "\"a\""}}).storable);
}

TEST_CASE("no default TTL: heuristically cacheable needs explicit freshness or a validator") {
  auto s = store(200, HttpHeaders{{"Content-Type", "text/plain"}});
  CHECK_FALSE(s.storable);
  CHECK(s.reason == "neither explicit freshness nor a validator");
  CHECK(store(200, kValidatorOnly).storable);
  CHECK(store(404, HttpHeaders{{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}).storable);
  // Even an invalid Expires is explicit (it means "already expired").
  CHECK(store(200, HttpHeaders{{"Expires", "0"}}).storable);
}

TEST_CASE("no-store in request or response") {
  CHECK_FALSE(store(200, HttpHeaders{{"Cache-Control", "max-age=60, no-store"}}).storable);
  CHECK_FALSE(store(200, kMaxAge, HttpHeaders{{"Cache-Control", "no-store"}}).storable);
  // Request no-cache does not prevent storing.
  CHECK(store(200, kMaxAge, HttpHeaders{{"Cache-Control", "no-cache"}}).storable);
}

TEST_CASE("must-understand (RFC 9111 §5.2.2.3)") {
  CHECK(store(200, HttpHeaders{{"Cache-Control", "must-understand, no-store, max-age=60"}}).storable);
  CHECK_FALSE(store(299, HttpHeaders{{"Cache-Control", "must-understand, no-store, max-age=60"}}).storable);
  CHECK_FALSE(store(299, HttpHeaders{{"Cache-Control", "must-understand, max-age=60"}}).storable);
}

TEST_CASE("private: never in a shared cache, qualified or not") {
  CHECK_FALSE(store(200, HttpHeaders{{"Cache-Control", "private, max-age=60"}}).storable);
  CHECK_FALSE(store(200, HttpHeaders{{"Cache-Control", "private=\"Set-Cookie\", max-age=60"}}).storable);
  CHECK_FALSE(store(200, HttpHeaders{{"Cache-Control", "public, private, max-age=60"}}).storable);
}

TEST_CASE("Authorization: only with public, s-maxage or must-revalidate (RFC 9111 §3.5)") {
  HttpHeaders auth{{"Authorization", "Bearer x"}};
  CHECK_FALSE(store(200, kMaxAge, auth).storable);
  CHECK(store(200, HttpHeaders{{"Cache-Control", "public, max-age=60"}}, auth).storable);
  CHECK(store(200, HttpHeaders{{"Cache-Control", "s-maxage=60"}}, auth).storable);
  CHECK(store(200, HttpHeaders{{"Cache-Control", "max-age=60, must-revalidate"}}, auth).storable);
  CHECK_FALSE(store(200, HttpHeaders{{"Cache-Control", "max-age=60, proxy-revalidate"}}, auth).storable);
}

TEST_CASE("Vary: * is never stored") {
  CHECK_FALSE(store(200, HttpHeaders{{"Cache-Control", "max-age=60"}, {"Vary", "Accept, *"}}).storable);
  CHECK(store(200, HttpHeaders{{"Cache-Control", "max-age=60"}, {"Vary", "Accept"}}).storable);
}

TEST_CASE("size limit hook") {
  CachingRulesConfig small;
  small.maxObjectBytes = 100;
  CHECK(store(200, kMaxAge, {}, "GET", 100, small).storable);
  CHECK_FALSE(store(200, kMaxAge, {}, "GET", 101, small).storable);
  CHECK(store(200, kMaxAge, {}, "GET", std::nullopt, small).storable);  // unknown: enforced while streaming
  CachingRulesConfig unlimited;
  unlimited.maxObjectBytes = 0;
  CHECK(store(200, kMaxAge, {}, "GET", std::uint64_t{1} << 50, unlimited).storable);
}
