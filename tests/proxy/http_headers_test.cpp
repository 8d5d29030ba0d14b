#include "proxy/http_headers.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

TEST_CASE("HttpHeaders: case-insensitive get, getAll keeps order") {
  HttpHeaders h;
  h.add("Accept", "text/html");
  h.add("X-Foo", "1");
  h.add("accept", "application/json");
  CHECK(h.has("ACCEPT"));
  CHECK(h.get("aCcEpT") == std::optional<std::string_view>("text/html"));
  auto all = h.getAll("Accept");
  REQUIRE(all.size() == 2);
  CHECK(all[0] == "text/html");
  CHECK(all[1] == "application/json");
  CHECK(h.combined("accept") == std::optional<std::string>("text/html, application/json"));
  CHECK_FALSE(h.get("missing"));
  CHECK_FALSE(h.combined("missing"));
  CHECK(h.getAll("missing").empty());
}

TEST_CASE("HttpHeaders: set replaces all lines at the first position") {
  HttpHeaders h{{"A", "1"}, {"B", "2"}, {"a", "3"}, {"C", "4"}};
  h.set("A", "x");
  REQUIRE(h.size() == 3);
  CHECK(h.fields()[0].name == "A");
  CHECK(h.fields()[0].value == "x");
  CHECK(h.fields()[1].name == "B");
  CHECK(h.fields()[2].name == "C");
  h.set("D", "new");
  CHECK(h.fields().back().name == "D");
}

TEST_CASE("HttpHeaders: remove returns the count") {
  HttpHeaders h{{"A", "1"}, {"b", "2"}, {"a", "3"}};
  CHECK(h.remove("a") == 2);
  CHECK(h.size() == 1);
  CHECK(h.remove("a") == 0);
}

TEST_CASE("splitList respects quoted strings and trims OWS") {
  auto m = splitList(R"( a , "b,c" ,, d="x,\"y\",z" ,	e	)");
  REQUIRE(m.size() == 4);
  CHECK(m[0] == "a");
  CHECK(m[1] == "\"b,c\"");
  CHECK(m[2] == R"(d="x,\"y\",z")");
  CHECK(m[3] == "e");
  CHECK(splitList("").empty());
  CHECK(splitList(" , ,, ").empty());
  // Unterminated quote runs to the end rather than crashing.
  auto u = splitList(R"(a, "b, c)");
  REQUIRE(u.size() == 2);
  CHECK(u[1] == R"("b, c)");
  // Trailing backslash inside a quote.
  CHECK(splitList("\"abc\\").size() == 1);
}

TEST_CASE("listMembers spans lines; hasToken is case-insensitive") {
  HttpHeaders h{{"Connection", "keep-alive, X-A"}, {"connection", "Upgrade"}};
  auto m = h.listMembers("CONNECTION");
  REQUIRE(m.size() == 3);
  CHECK(m[2] == "Upgrade");
  CHECK(h.hasToken("connection", "x-a"));
  CHECK_FALSE(h.hasToken("connection", "close"));
}

TEST_CASE("unquote, token helpers, trimming, case") {
  CHECK(unquote("\"abc\"") == "abc");
  CHECK(unquote(R"("a\"b\\c")") == "a\"b\\c");
  CHECK(unquote("abc") == "abc");
  CHECK(unquote("\"") == "\"");
  CHECK(isToken("max-age"));
  CHECK_FALSE(isToken("max age"));
  CHECK_FALSE(isToken(""));
  CHECK_FALSE(isToken("a=b"));
  CHECK(trimOws(" \t x y \t") == "x y");
  CHECK(trimOws("   ").empty());
  CHECK(toLowerAscii("AbC-1") == "abc-1");
  CHECK(equalsIgnoreCase("Content-Length", "content-length"));
  CHECK_FALSE(equalsIgnoreCase("Content-Length", "content-lengt"));
}

TEST_CASE("HttpHeaders equality compares lines in order") {
  HttpHeaders a{{"A", "1"}, {"B", "2"}};
  HttpHeaders b{{"A", "1"}, {"B", "2"}};
  HttpHeaders c{{"B", "2"}, {"A", "1"}};
  CHECK(a == b);
  CHECK_FALSE(a == c);
}
