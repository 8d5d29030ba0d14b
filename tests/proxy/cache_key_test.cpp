#include "proxy/cache_key.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

namespace {
using Key = std::optional<std::string>;
}

TEST_CASE("cache key: scheme and host lower-cased, default port dropped") {
  CHECK(cacheKey("http", "Example.COM", "/a/B?x=Y") == Key("http://example.com/a/B?x=Y"));
  CHECK(cacheKey("HTTPS", "example.com:443", "/") == Key("https://example.com/"));
  CHECK(cacheKey("http", "example.com:80", "/") == Key("http://example.com/"));
  CHECK(cacheKey("http", "example.com:443", "/") == Key("http://example.com:443/"));
  CHECK(cacheKey("https", "example.com:8443", "/p") == Key("https://example.com:8443/p"));
  CHECK(cacheKey("http", "example.com:080", "/") == Key("http://example.com/"));
  CHECK(cacheKey("http", "[::1]:8080", "/") == Key("http://[::1]:8080/"));
  CHECK(cacheKey("http", "[::1]", "/") == Key("http://[::1]/"));
  CHECK(cacheKey("http", "example.com", "/p#frag") == Key("http://example.com/p"));
  CHECK(cacheKey("http", "example.com:", "/") == Key("http://example.com/"));
}

TEST_CASE("cache key: malformed inputs give no key") {
  CHECK_FALSE(cacheKey("http", "", "/"));
  CHECK_FALSE(cacheKey("http", "example.com", "*"));
  CHECK_FALSE(cacheKey("http", "example.com", ""));
  CHECK_FALSE(cacheKey("http", "example.com", "relative"));
  CHECK_FALSE(cacheKey("http", "example.com:99999", "/"));
  CHECK_FALSE(cacheKey("http", "example.com:8x", "/"));
  CHECK_FALSE(cacheKey("http", "user@example.com", "/"));
  CHECK_FALSE(cacheKey("http", "exa mple.com", "/"));
  CHECK_FALSE(cacheKey("http", "[::1", "/"));
  CHECK_FALSE(cacheKey("ftp", "example.com", "/"));
  CHECK_FALSE(cacheKey("http", "example.com", "/a b"));
}

TEST_CASE("cache key: a host with a colon outside brackets gives no key (fuzz)") {
  // Found by fuzz_http_rules: "8:Example.com:80" keyed as host "8:example.com",
  // and that key no longer parsed back to itself.
  CHECK_FALSE(cacheKey("http", "8:Example.com:80", "/"));
  CHECK_FALSE(cacheKeyForUri("http://8:Example.com:80/a/b?x=1"));
  CHECK_FALSE(cacheKey("http", "::1", "/"));
  CHECK_FALSE(cacheKey("http", "a]b", "/"));
  CHECK_FALSE(originOf("http://a:b:8080/"));
  CHECK(cacheKey("http", "[::1]:80", "/") == Key("http://[::1]/"));
}

TEST_CASE("cache key from an absolute URI") {
  CHECK(cacheKeyForUri("HTTP://WWW.Example.com:80/x?q#f") == Key("http://www.example.com/x?q"));
  CHECK(cacheKeyForUri("https://example.com") == Key("https://example.com/"));
  CHECK(cacheKeyForUri("https://example.com?q=1") == Key("https://example.com/?q=1"));
  CHECK_FALSE(cacheKeyForUri("mailto:x@example.com"));
  CHECK_FALSE(cacheKeyForUri("/relative"));
  CHECK_FALSE(cacheKeyForUri(""));
  CHECK(originOf("https://Example.com:443/a") == Key("https://example.com"));
  CHECK(originOf("http://example.com:8080/a") == Key("http://example.com:8080"));
  CHECK_FALSE(originOf("nonsense"));
}

TEST_CASE("reference resolution (RFC 3986 §5.4.1 normal examples)") {
  const char* base = "http://a/b/c/d;p?q";
  struct Case {
    const char* ref;
    const char* expected;
  };
  for (auto c : {Case{"g", "http://a/b/c/g"}, Case{"./g", "http://a/b/c/g"}, Case{"g/", "http://a/b/c/g/"},
                 Case{"/g", "http://a/g"}, Case{"//g", "http://g/"}, Case{"?y", "http://a/b/c/d;p?y"},
                 Case{"g?y", "http://a/b/c/g?y"}, Case{"#s", "http://a/b/c/d;p?q"}, Case{"", "http://a/b/c/d;p?q"},
                 Case{".", "http://a/b/c/"}, Case{"./", "http://a/b/c/"}, Case{"..", "http://a/b/"},
                 Case{"../", "http://a/b/"}, Case{"../g", "http://a/b/g"}, Case{"../..", "http://a/"},
                 Case{"../../g", "http://a/g"}, Case{"../../../g", "http://a/g"}, Case{"/./g", "http://a/g"},
                 Case{"g;x=1/../y", "http://a/b/c/y"}, Case{"https://x/y", "https://x/y"}}) {
    CAPTURE(c.ref);
    CHECK(resolveToCacheKey(base, c.ref) == Key(c.expected));
  }
  CHECK_FALSE(resolveToCacheKey("not a uri", "/x"));
  CHECK_FALSE(resolveToCacheKey(base, "ftp://x/y"));
}

TEST_CASE("Host field values: uri-host [\":\" port] only (RFC 9112 §3.2, RFC 3986 §3.2.2)") {
  for (const char* ok : {"example.com", "example.com:8080", "EXAMPLE.com:", "127.0.0.1:80", "[::1]", "[::1]:8080",
                         "[v7.fe80::a+en1]", "a-b_c~d.e", "%41bc", "sub!$&'()*+,;=delims", ""}) {
    CAPTURE(ok);
    CHECK(isValidAuthority(ok));
  }
  for (const char* bad : {"a b", "a/b", "user@a", "a:8x", "a\"b", "[::1", "[]", "[::1]x", "[::1]:8x", "a:b:80",
                          "%4", "%zz", "a?b", "a#b", "a\\b", "<a>", "a\tb"}) {
    CAPTURE(bad);
    CHECK_FALSE(isValidAuthority(bad));
  }
}
