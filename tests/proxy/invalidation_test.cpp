#include "proxy/invalidation.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

namespace {
using Keys = std::vector<std::string>;
const std::string kTarget = "https://example.com/items/7";
}  // namespace

TEST_CASE("safe methods (RFC 9110 §9.2.1)") {
  for (auto m : {"GET", "HEAD", "OPTIONS", "TRACE"}) CHECK(isSafeMethod(m));
  for (auto m : {"POST", "PUT", "DELETE", "PATCH", "PROPFIND", "get", ""}) CHECK_FALSE(isSafeMethod(m));
}

TEST_CASE("unsafe method with non-error status invalidates the target (RFC 9111 §4.4)") {
  for (auto m : {"POST", "PUT", "DELETE", "PATCH", "BREW"}) {
    CAPTURE(m);
    CHECK(keysToInvalidate(m, 200, kTarget, {}) == Keys{kTarget});
    CHECK(keysToInvalidate(m, 204, kTarget, {}) == Keys{kTarget});
    CHECK(keysToInvalidate(m, 303, kTarget, {}) == Keys{kTarget});
  }
}

TEST_CASE("no invalidation for safe methods or error statuses") {
  CHECK(keysToInvalidate("GET", 200, kTarget, {}).empty());
  CHECK(keysToInvalidate("HEAD", 200, kTarget, {}).empty());
  CHECK(keysToInvalidate("POST", 404, kTarget, {}).empty());
  CHECK(keysToInvalidate("POST", 500, kTarget, {}).empty());
  CHECK(keysToInvalidate("POST", 100, kTarget, {}).empty());
}

TEST_CASE("Location and Content-Location: same origin only, relative resolved, deduplicated") {
  HttpHeaders h{{"Location", "/items/8"}, {"Content-Location", "https://EXAMPLE.com:443/items/7/view"}};
  CHECK(keysToInvalidate("POST", 201, kTarget, h) ==
        Keys{kTarget, "https://example.com/items/8", "https://example.com/items/7/view"});
  HttpHeaders cross{{"Location", "https://evil.example/items/7"}, {"Content-Location", "http://example.com/items/7"}};
  CHECK(keysToInvalidate("PUT", 200, kTarget, cross) == Keys{kTarget});  // other host; other scheme
  HttpHeaders same{{"Location", kTarget}, {"Content-Location", "7"}};
  CHECK(keysToInvalidate("DELETE", 200, kTarget, same) == Keys{kTarget});
  HttpHeaders garbage{{"Location", "http://[bad"}, {"Content-Location", "\x01\x02"}};
  CHECK(keysToInvalidate("POST", 200, kTarget, garbage) == Keys{kTarget});
}
