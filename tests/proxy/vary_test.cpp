#include "proxy/vary.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

TEST_CASE("Vary field names: lower-cased, sorted, unique, garbage skipped") {
  HttpHeaders r{{"Vary", "User-Agent, accept-encoding"}, {"vary", "Accept-Encoding, bad name, Accept"}};
  auto names = varyFieldNames(r);
  REQUIRE(names.size() == 3);
  CHECK(names[0] == "accept");
  CHECK(names[1] == "accept-encoding");
  CHECK(names[2] == "user-agent");
  CHECK(varyFieldNames(HttpHeaders{}).empty());
}

TEST_CASE("Vary *") {
  CHECK(varyHasWildcard(HttpHeaders{{"Vary", "*"}}));
  CHECK(varyHasWildcard(HttpHeaders{{"Vary", "Accept"}, {"Vary", " * "}}));
  CHECK_FALSE(varyHasWildcard(HttpHeaders{{"Vary", "Accept"}}));
  HttpHeaders star{{"Vary", "*"}};
  CHECK_FALSE(varyMatches(star, varyKey(star, {}), HttpHeaders{}));
}

TEST_CASE("no Vary: empty key, everything matches") {
  HttpHeaders r{{"Cache-Control", "max-age=1"}};
  CHECK(varyKey(r, HttpHeaders{{"Accept", "x"}}).empty());
  CHECK(varyMatches(r, "", HttpHeaders{{"Accept", "y"}}));
}

TEST_CASE("Vary matching normalises as RFC 9111 §4.1 allows") {
  HttpHeaders r{{"Vary", "Accept-Encoding, Accept-Language"}};
  auto stored = varyKey(r, HttpHeaders{{"Accept-Encoding", "gzip, br"}, {"Accept-Language", "en"}});
  // Whitespace, combined lines, name case, field order.
  CHECK(varyMatches(r, stored, HttpHeaders{{"accept-language", " en "}, {"ACCEPT-ENCODING", "gzip,br"}}));
  CHECK(varyMatches(r, stored, HttpHeaders{{"Accept-Encoding", "gzip"}, {"Accept-Encoding", "br"}, {"Accept-Language", "en"}}));
  // Order of Vary names does not change the key.
  HttpHeaders reordered{{"Vary", "accept-language,ACCEPT-ENCODING"}};
  CHECK(varyKey(reordered, HttpHeaders{{"Accept-Encoding", "gzip, br"}, {"Accept-Language", "en"}}) == stored);
  // Different values, value case, member order are different.
  CHECK_FALSE(varyMatches(r, stored, HttpHeaders{{"Accept-Encoding", "br, gzip"}, {"Accept-Language", "en"}}));
  CHECK_FALSE(varyMatches(r, stored, HttpHeaders{{"Accept-Encoding", "GZIP, br"}, {"Accept-Language", "en"}}));
  CHECK_FALSE(varyMatches(r, stored, HttpHeaders{{"Accept-Encoding", "gzip, br"}}));
}

TEST_CASE("absent only matches absent; unrelated headers do not matter") {
  HttpHeaders r{{"Vary", "Accept-Encoding"}};
  auto absent = varyKey(r, HttpHeaders{});
  auto empty = varyKey(r, HttpHeaders{{"Accept-Encoding", ""}});
  CHECK(absent != empty);
  CHECK(varyMatches(r, absent, HttpHeaders{{"Cookie", "x"}}));
  CHECK_FALSE(varyMatches(r, absent, HttpHeaders{{"Accept-Encoding", "gzip"}}));
}

TEST_CASE("vary keys are unambiguous whatever the values contain") {
  HttpHeaders r{{"Vary", "A, B"}};
  auto k1 = varyKey(r, HttpHeaders{{"A", "x\nb:1:y"}});
  auto k2 = varyKey(r, HttpHeaders{{"A", "x"}, {"B", "y"}});
  CHECK(k1 != k2);
}
