#include "proxy/cache_control.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;
using std::chrono::seconds;

namespace {
HttpHeaders cc(const char* value) { return HttpHeaders{{"Cache-Control", value}}; }
}  // namespace

TEST_CASE("response Cache-Control: every directive") {
  auto r = parseResponseCacheControl(cc(
      "max-age=60, s-maxage=120, stale-while-revalidate=30, stale-if-error=600, no-store, no-cache, private, "
      "public, must-revalidate, proxy-revalidate, immutable, must-understand, no-transform"));
  CHECK(r.maxAge == seconds(60));
  CHECK(r.sMaxAge == seconds(120));
  CHECK(r.staleWhileRevalidate == seconds(30));
  CHECK(r.staleIfError == seconds(600));
  CHECK(r.noStore);
  CHECK(r.noCache);
  CHECK(r.noCacheFields.empty());
  CHECK(r.isPrivate);
  CHECK(r.isPublic);
  CHECK(r.mustRevalidate);
  CHECK(r.proxyRevalidate);
  CHECK(r.immutable);
  CHECK(r.mustUnderstand);
  CHECK(r.noTransform);
}

TEST_CASE("response Cache-Control: nothing set by default") {
  auto r = parseResponseCacheControl(HttpHeaders{});
  CHECK_FALSE(r.maxAge);
  CHECK_FALSE(r.sMaxAge);
  CHECK_FALSE(r.noStore);
  CHECK_FALSE(r.noCache);
  CHECK_FALSE(r.isPrivate);
  CHECK_FALSE(r.isPublic);
}

TEST_CASE("Cache-Control: names are case-insensitive, arguments quoted or not (RFC 9111 §5.2)") {
  auto r = parseResponseCacheControl(cc("MAX-AGE=\"3600\", Must-Revalidate"));
  CHECK(r.maxAge == seconds(3600));
  CHECK(r.mustRevalidate);
}

TEST_CASE("Cache-Control: qualified no-cache and private keep their field lists") {
  auto r = parseResponseCacheControl(cc(R"(private="Set-Cookie, X-User", no-cache="Set-Cookie")"));
  CHECK(r.isPrivate);
  REQUIRE(r.privateFields.size() == 2);
  CHECK(r.privateFields[0] == "set-cookie");
  CHECK(r.privateFields[1] == "x-user");
  CHECK(r.noCache);
  REQUIRE(r.noCacheFields.size() == 1);
  CHECK(r.noCacheFields[0] == "set-cookie");
}

TEST_CASE("Cache-Control: duplicates, the first occurrence wins (RFC 9111 §4.2.1)") {
  auto r = parseResponseCacheControl(cc("max-age=10, max-age=1000"));
  CHECK(r.maxAge == seconds(10));
  HttpHeaders twoLines{{"Cache-Control", "max-age=5"}, {"Cache-Control", "max-age=50, s-maxage=7"}};
  auto r2 = parseResponseCacheControl(twoLines);
  CHECK(r2.maxAge == seconds(5));
  CHECK(r2.sMaxAge == seconds(7));
}

TEST_CASE("Cache-Control: conflicting directives all survive (most restrictive honoured by the rules)") {
  auto r = parseResponseCacheControl(cc("public, max-age=60, no-cache, private"));
  CHECK(r.isPublic);
  CHECK(r.isPrivate);
  CHECK(r.noCache);
  CHECK(r.maxAge == seconds(60));
}

TEST_CASE("Cache-Control: invalid max-age / s-maxage read as 0 (stale), invalid extensions are dropped") {
  auto r = parseResponseCacheControl(cc("max-age=abc, s-maxage=-5, stale-while-revalidate=x, stale-if-error"));
  CHECK(r.maxAge == seconds(0));
  CHECK(r.sMaxAge == seconds(0));
  CHECK_FALSE(r.staleWhileRevalidate);
  CHECK_FALSE(r.staleIfError);
  CHECK(parseResponseCacheControl(cc("max-age")).maxAge == seconds(0));
  CHECK(parseResponseCacheControl(cc("max-age=")).maxAge == seconds(0));
  CHECK(parseResponseCacheControl(cc("max-age=1e3")).maxAge == seconds(0));
  // A huge value saturates (RFC 9111 §1.2.2).
  CHECK(parseResponseCacheControl(cc("max-age=123456789012345678901234567890")).maxAge == seconds(2147483648LL));
  // OWS around '=' is tolerated.
  CHECK(parseResponseCacheControl(cc("max-age = 30")).maxAge == seconds(30));
}

TEST_CASE("Cache-Control: garbage never crashes and keeps valid neighbours") {
  for (const char* garbage : {"", ",,,", "=", "=5", "\"", "\"max-age=5\"", "max-age=\"5", "a b c", ";;;",
                              "max-age=5;foo", "\x01\x02", "no-store=\"", "private=\"unterminated, max-age=3"}) {
    CAPTURE(garbage);
    auto r = parseResponseCacheControl(cc(garbage));
    auto q = parseRequestCacheControl(cc(garbage));
    (void)r;
    (void)q;
  }
  auto r = parseResponseCacheControl(cc("foo bar, max-age=20, =x, \"q\", no-store"));
  CHECK(r.maxAge == seconds(20));
  CHECK(r.noStore);
  // Unknown extensions are ignored (§5.2.3).
  auto ext = parseResponseCacheControl(cc("community=\"UCI\", max-age=9"));
  CHECK(ext.maxAge == seconds(9));
}

TEST_CASE("request Cache-Control: every directive") {
  auto q = parseRequestCacheControl(
      cc("max-age=5, max-stale=10, min-fresh=3, no-cache, no-store, only-if-cached, stale-if-error=60, no-transform"));
  CHECK(q.maxAge == seconds(5));
  CHECK(q.maxStale);
  CHECK(q.maxStaleLimit == seconds(10));
  CHECK(q.minFresh == seconds(3));
  CHECK(q.noCache);
  CHECK(q.noStore);
  CHECK(q.onlyIfCached);
  CHECK(q.staleIfError == seconds(60));
  CHECK(q.noTransform);
}

TEST_CASE("request max-stale with and without value (RFC 9111 §5.2.1.2)") {
  auto any = parseRequestCacheControl(cc("max-stale"));
  CHECK(any.maxStale);
  CHECK_FALSE(any.maxStaleLimit);
  auto bad = parseRequestCacheControl(cc("max-stale=soon"));
  CHECK_FALSE(bad.maxStale);  // garbage grants no staleness
  auto quoted = parseRequestCacheControl(cc("max-stale=\"15\""));
  CHECK(quoted.maxStaleLimit == seconds(15));
}

TEST_CASE("request: invalid max-age forces validation, invalid min-fresh is dropped") {
  auto q = parseRequestCacheControl(cc("max-age=forever, min-fresh=x"));
  CHECK(q.maxAge == seconds(0));
  CHECK_FALSE(q.minFresh);
}

TEST_CASE("request: Pragma no-cache only without Cache-Control, and only when enabled") {
  HttpHeaders pragma{{"Pragma", "no-cache"}};
  CHECK(parseRequestCacheControl(pragma).noCache);
  CHECK_FALSE(parseRequestCacheControl(pragma, false).noCache);
  HttpHeaders both{{"Pragma", "no-cache"}, {"Cache-Control", "max-age=10"}};
  CHECK_FALSE(parseRequestCacheControl(both).noCache);
  HttpHeaders other{{"Pragma", "foo"}};
  CHECK_FALSE(parseRequestCacheControl(other).noCache);
}

TEST_CASE("parseCacheDirectives exposes names lower-cased and unquoted values") {
  auto ds = parseCacheDirectives(cc("Max-Age=\"7\", no-cache, x=\"a\\\"b\""));
  REQUIRE(ds.size() == 3);
  CHECK(ds[0].name == "max-age");
  CHECK(ds[0].value == std::optional<std::string>("7"));
  CHECK_FALSE(ds[1].value);
  CHECK(ds[2].value == std::optional<std::string>("a\"b"));
}
