// The admin API's pure request parsing (proxy/admin_request.h); the same
// rules over real sockets are in admin_server_test.cpp.

#include "proxy/admin_request.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;
using namespace std::chrono_literals;

TEST_CASE("capacity body: byte sizes, white space trimmed, errors name the field") {
  CHECK(parseCapacityBody("536870912").value() == 536870912u);
  CHECK(parseCapacityBody(" 512MiB\r\n").value() == 512u << 20);
  CHECK(parseCapacityBody("0").value() == 0u);  // the hook decides on minimums
  auto empty = parseCapacityBody(" \n");
  REQUIRE_FALSE(empty);
  CHECK(empty.message().rfind("capacity: empty body", 0) == 0);
  auto bad = parseCapacityBody("lots");
  REQUIRE_FALSE(bad);
  CHECK(bad.message().rfind("capacity: ", 0) == 0);
}

TEST_CASE("policy body: online registry names, case-insensitive") {
  auto lru = parsePolicyBody(" LRU\n");
  REQUIRE(lru);
  CHECK(lru.value()->name == "lru");
  CHECK_FALSE(lru.value()->offline);
  auto unknown = parsePolicyBody("nope");
  REQUIRE_FALSE(unknown);
  CHECK(unknown.message().rfind("policy: unknown policy 'nope'", 0) == 0);
  auto offline = parsePolicyBody("belady");
  REQUIRE_FALSE(offline);
  CHECK(offline.message() == "policy: 'belady' is an offline bound, not a live policy");
  CHECK(parsePolicyBody("").message().rfind("policy: empty body", 0) == 0);
}

TEST_CASE("hold parameter: absent is 0, else 1..30 days of whole seconds") {
  CHECK(parseHoldParam(std::nullopt).value() == 0s);
  CHECK(parseHoldParam("1").value() == 1s);
  CHECK(parseHoldParam("2592000").value() == 2592000s);
  for (const char* bad : {"", "0", "2592001", "99999999", "123456789", "-5", "+5", "5s", " 5", "1e3"}) {
    auto r = parseHoldParam(std::string_view(bad));
    REQUIRE_FALSE(r);
    CHECK(r.message().rfind("hold: expected whole seconds in 1..2592000", 0) == 0);
  }
}

TEST_CASE("hold parameter: a long run of digits is refused without overflow") {
  // Found by fuzz/fuzz_admin_request (UBSan): the length limit did not stop
  // the digit loop, so ?hold= with 19+ digits overflowed a long long.
  for (std::size_t digits : {9u, 19u, 20u, 40u, 4000u}) {
    const std::string text(digits, '4');
    auto r = parseHoldParam(std::string_view(text));
    REQUIRE_FALSE(r);
    CHECK(r.message().rfind("hold: expected whole seconds in 1..2592000", 0) == 0);
  }
  const std::string fuzzed = "3444444444444444444444444444444600";
  CHECK_FALSE(parseHoldParam(std::string_view(fuzzed)));
}

TEST_CASE("purge url: present and non-empty, returned unchanged") {
  CHECK(parsePurgeUrl("http://a/b?c").value() == "http://a/b?c");
  CHECK(parsePurgeUrl(std::nullopt).message() == "purge: missing query parameter url");
  CHECK(parsePurgeUrl("").message() == "purge: missing query parameter url");
}

TEST_CASE("bearer token: scheme case-insensitive, token exact") {
  CHECK(bearerTokenMatches("Bearer s3cret", "s3cret"));
  CHECK(bearerTokenMatches("bearer  s3cret ", "s3cret"));
  CHECK_FALSE(bearerTokenMatches("Bearer s3cre", "s3cret"));
  CHECK_FALSE(bearerTokenMatches("Bearer s3cretX", "s3cret"));
  CHECK_FALSE(bearerTokenMatches("Basic s3cret", "s3cret"));
  CHECK_FALSE(bearerTokenMatches("Bearer ", "s3cret"));
  CHECK_FALSE(bearerTokenMatches("", "s3cret"));
}

TEST_CASE("purge key: absolute http(s) URIs, or paths on the origin's authority") {
  CHECK(purgeCacheKey("http://Example.com:80/a?b", "origin:81").value() == "http://example.com/a?b");
  CHECK(purgeCacheKey("/a?b", "origin:81").value() == "http://origin:81/a?b");
  CHECK_FALSE(purgeCacheKey("ftp://example.com/a", "origin"));
  CHECK_FALSE(purgeCacheKey("a/b", "origin"));
}

TEST_CASE("errors quote at most the start of a long body or hold value") {
  // Seen reviewing fuzz_admin_request, which checked one line but not length:
  // a 4 KiB policy body or a long ?hold= came back whole in the error.
  const std::string longText(4000, 'x');
  for (const std::string& message : {parsePolicyBody(longText).message(), parseHoldParam(longText).message(),
                                     parseCapacityBody(longText).message(),
                                     parseHoldParam(std::string(4000, '7')).message()}) {
    CAPTURE(message.substr(0, 40));
    CHECK(message.size() < 300);
    CHECK(message.find("...") != std::string::npos);
  }
}
