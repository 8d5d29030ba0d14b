#include "proxy/conditional.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;
using std::chrono::seconds;

namespace {
const HttpTime kNow{seconds(1700000000)};
const char* kLm = "Sat, 29 Oct 1994 19:43:31 GMT";  // RFC 9110 §8.8.2 example
const HttpHeaders kStored{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                          {"Last-Modified", kLm},
                          {"ETag", "\"xyzzy\""},
                          {"Cache-Control", "max-age=60"},
                          {"Content-Type", "text/html"},
                          {"Content-Length", "42"}};

ConditionalResult eval(const HttpHeaders& request, std::string_view method = "GET", int status = 200,
                       const HttpHeaders& stored = kStored) {
  return evaluateConditional(method, request, status, stored, kNow);
}
}  // namespace

TEST_CASE("entity tags: parse and compare (RFC 9110 §8.8.3.2 table)") {
  auto w1 = parseEntityTag("W/\"1\"");
  auto w2 = parseEntityTag("W/\"2\"");
  auto s1 = parseEntityTag("\"1\"");
  auto s2 = parseEntityTag("\"2\"");
  REQUIRE(w1);
  REQUIRE(w2);
  REQUIRE(s1);
  REQUIRE(s2);
  CHECK(w1->weak);
  CHECK_FALSE(s1->weak);
  // ETag 1 / ETag 2 / Strong Comparison / Weak Comparison
  CHECK_FALSE(strongMatch(*w1, *w1));
  CHECK(weakMatch(*w1, *w1));
  CHECK_FALSE(strongMatch(*w1, *w2));
  CHECK_FALSE(weakMatch(*w1, *w2));
  CHECK_FALSE(strongMatch(*w1, *s1));
  CHECK(weakMatch(*w1, *s1));
  CHECK(strongMatch(*s1, *s1));
  CHECK(weakMatch(*s1, *s1));
  CHECK_FALSE(strongMatch(*s1, *s2));
  for (const char* bad : {"", "\"", "abc", "W/abc", "w/\"a\"", "\"a\" ", "\"a\"b\"", "W/", "\"a b\""}) {
    CAPTURE(bad);
    CHECK_FALSE(parseEntityTag(bad));
  }
  CHECK(parseEntityTag("\"\""));  // empty opaque tag is valid
}

TEST_CASE("If-None-Match: weak comparison, lists, * (RFC 9110 §13.1.2)") {
  CHECK(eval({{"If-None-Match", "\"xyzzy\""}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "W/\"xyzzy\""}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\""}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "\"r2d2xxxx\""}, {"If-None-Match", "\"xyzzy\""}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "\"other\""}}) == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-None-Match", "*"}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "garbage, \"xyzzy\""}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "garbage"}}) == ConditionalResult::kFullResponse);
  // A stored response without an ETag only matches "*".
  HttpHeaders noEtag{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}};
  CHECK(eval({{"If-None-Match", "\"xyzzy\""}}, "GET", 200, noEtag) == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-None-Match", "*"}}, "GET", 200, noEtag) == ConditionalResult::kNotModified);
}

TEST_CASE("If-None-Match takes precedence over If-Modified-Since (RFC 9110 §13.2.2)") {
  // INM does not match, IMS would: full response.
  CHECK(eval({{"If-None-Match", "\"other\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}) ==
        ConditionalResult::kFullResponse);
  // INM matches, IMS would not: 304.
  CHECK(eval({{"If-None-Match", "\"xyzzy\""}, {"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"}}) ==
        ConditionalResult::kNotModified);
}

TEST_CASE("If-Modified-Since against Last-Modified, else Date (RFC 9111 §4.3.2)") {
  CHECK(eval({{"If-Modified-Since", kLm}}) == ConditionalResult::kNotModified);  // equal
  CHECK(eval({{"If-Modified-Since", "Sun, 30 Oct 1994 19:43:31 GMT"}}) == ConditionalResult::kNotModified);
  CHECK(eval({{"If-Modified-Since", "Fri, 28 Oct 1994 19:43:31 GMT"}}) == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-Modified-Since", "Saturday, 29-Oct-94 19:43:31 GMT"}}) == ConditionalResult::kNotModified);
  HttpHeaders dateOnly{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}};
  CHECK(eval({{"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}, "GET", 200, dateOnly) ==
        ConditionalResult::kNotModified);
  CHECK(eval({{"If-Modified-Since", kLm}}, "GET", 200, dateOnly) == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-Modified-Since", kLm}}, "GET", 200, HttpHeaders{}) == ConditionalResult::kFullResponse);
  // Invalid or repeated IMS is ignored.
  CHECK(eval({{"If-Modified-Since", "yesterday"}}) == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-Modified-Since", kLm}, {"If-Modified-Since", kLm}}) == ConditionalResult::kFullResponse);
}

TEST_CASE("conditionals apply only to GET/HEAD and stored 200") {
  CHECK(eval({{"If-None-Match", "\"xyzzy\""}}, "HEAD") == ConditionalResult::kNotModified);
  CHECK(eval({{"If-None-Match", "\"xyzzy\""}}, "POST") == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-Modified-Since", kLm}}, "DELETE") == ConditionalResult::kFullResponse);
  CHECK(eval({{"If-None-Match", "\"xyzzy\""}}, "GET", 404) == ConditionalResult::kFullResponse);
  CHECK(eval({}) == ConditionalResult::kFullResponse);
  CHECK(hasOriginOnlyPreconditions({{"If-Match", "\"a\""}}));
  CHECK(hasOriginOnlyPreconditions({{"If-Unmodified-Since", kLm}}));
  CHECK_FALSE(hasOriginOnlyPreconditions({{"If-None-Match", "\"a\""}}));
}

TEST_CASE("304 headers from the stored response (RFC 9110 §15.4.5)") {
  HttpHeaders stored = kStored;
  stored.add("Vary", "Accept-Encoding");
  stored.add("Expires", "Sun, 06 Nov 1994 08:59:37 GMT");
  stored.add("Content-Location", "/doc.html");
  auto h = notModifiedHeaders(stored, seconds(12));
  CHECK(h.get("ETag") == std::optional<std::string_view>("\"xyzzy\""));
  CHECK(h.has("Date"));
  CHECK(h.has("Cache-Control"));
  CHECK(h.has("Vary"));
  CHECK(h.has("Expires"));
  CHECK(h.has("Content-Location"));
  CHECK(h.get("Age") == std::optional<std::string_view>("12"));
  CHECK_FALSE(h.has("Content-Type"));
  CHECK_FALSE(h.has("Content-Length"));
  CHECK_FALSE(h.has("Last-Modified"));  // there is an ETag
  HttpHeaders noEtag{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Last-Modified", kLm}};
  auto h2 = notModifiedHeaders(noEtag, std::nullopt);
  CHECK(h2.has("Last-Modified"));
  CHECK_FALSE(h2.has("Age"));
}

TEST_CASE("revalidation request from stored validators (RFC 9111 §4.3.1)") {
  HttpHeaders client{{"Host", "example.com"},
                     {"Accept", "*/*"},
                     {"If-None-Match", "\"client\""},
                     {"If-Modified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"},
                     {"Range", "bytes=0-10"},
                     {"If-Range", "\"client\""}};
  auto r = buildRevalidationRequest(client, kStored);
  CHECK(r.get("Host") == std::optional<std::string_view>("example.com"));
  CHECK(r.get("Accept") == std::optional<std::string_view>("*/*"));
  CHECK(r.getAll("If-None-Match").size() == 1);
  CHECK(r.get("If-None-Match") == std::optional<std::string_view>("\"xyzzy\""));
  CHECK(r.get("If-Modified-Since") == std::optional<std::string_view>(kLm));
  CHECK_FALSE(r.has("Range"));
  CHECK_FALSE(r.has("If-Range"));
  auto onlyLm = buildRevalidationRequest({}, HttpHeaders{{"Last-Modified", kLm}});
  CHECK_FALSE(onlyLm.has("If-None-Match"));
  CHECK(onlyLm.has("If-Modified-Since"));
  auto none = buildRevalidationRequest({}, HttpHeaders{{"ETag", "garbage"}});
  CHECK(none.empty());
}

TEST_CASE("304 selects the stored response by validator (RFC 9111 §4.3.4)") {
  CHECK(notModifiedMatchesStored(kStored, {{"ETag", "\"xyzzy\""}}, kNow));
  CHECK_FALSE(notModifiedMatchesStored(kStored, {{"ETag", "\"other\""}}, kNow));
  CHECK(notModifiedMatchesStored(kStored, {{"ETag", "W/\"xyzzy\""}}, kNow));
  CHECK_FALSE(notModifiedMatchesStored(HttpHeaders{{"ETag", "W/\"xyzzy\""}}, {{"ETag", "\"xyzzy\""}}, kNow));
  CHECK(notModifiedMatchesStored(kStored, {{"Last-Modified", kLm}}, kNow));
  CHECK_FALSE(notModifiedMatchesStored(kStored, {{"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}}, kNow));
  CHECK(notModifiedMatchesStored(kStored, {{"Date", "Sun, 06 Nov 1994 09:00:00 GMT"}}, kNow));
  CHECK_FALSE(notModifiedMatchesStored(kStored, {{"ETag", "garbage"}}, kNow));
}

TEST_CASE("merging a 304 into stored headers (RFC 9111 §3.2)") {
  HttpHeaders stored{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"},
                     {"Cache-Control", "max-age=60"},
                     {"Content-Type", "text/html"},
                     {"Content-Length", "42"},
                     {"Content-Encoding", "gzip"},
                     {"Vary", "Accept-Encoding"},
                     {"Age", "30"},
                     {"X-Old", "1"},
                     {"X-Old", "2"},
                     {"ETag", "\"xyzzy\""}};
  HttpHeaders notModified{{"Date", "Sun, 06 Nov 1994 09:49:37 GMT"},
                          {"Cache-Control", "max-age=3600"},
                          {"Content-Length", "0"},
                          {"Content-Encoding", "br"},
                          {"Vary", "*"},
                          {"Connection", "close, X-Hop"},
                          {"X-Hop", "h"},
                          {"Keep-Alive", "timeout=5"},
                          {"X-Old", "3"},
                          {"X-New", "n"},
                          {"ETag", "\"xyzzy\""}};
  auto m = mergeNotModified(stored, notModified, HttpTime{seconds(1000)});
  CHECK(m.get("Date") == std::optional<std::string_view>("Sun, 06 Nov 1994 09:49:37 GMT"));
  CHECK(m.get("Cache-Control") == std::optional<std::string_view>("max-age=3600"));
  CHECK(m.get("Content-Length") == std::optional<std::string_view>("42"));
  CHECK(m.get("Content-Encoding") == std::optional<std::string_view>("gzip"));
  CHECK(m.get("Vary") == std::optional<std::string_view>("Accept-Encoding"));
  CHECK(m.get("Content-Type") == std::optional<std::string_view>("text/html"));
  CHECK(m.getAll("X-Old").size() == 1);
  CHECK(m.get("X-Old") == std::optional<std::string_view>("3"));
  CHECK(m.get("X-New") == std::optional<std::string_view>("n"));
  CHECK_FALSE(m.has("Age"));  // the 304 had none: the old one would be counted twice
  CHECK_FALSE(m.has("Connection"));
  CHECK_FALSE(m.has("X-Hop"));
  CHECK_FALSE(m.has("Keep-Alive"));
  // Order: replaced fields keep their stored position.
  CHECK(m.fields()[0].name == "Date");
  CHECK(m.fields()[1].name == "Cache-Control");
}

TEST_CASE("merging a 304 without Date stamps the receipt time; Age comes from the 304") {
  HttpHeaders stored{{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Age", "30"}};
  auto m = mergeNotModified(stored, {{"Age", "5"}}, HttpTime{seconds(784111777 + 3600)});
  CHECK(m.get("Date") == std::optional<std::string_view>("Sun, 06 Nov 1994 09:49:37 GMT"));
  CHECK(m.get("Age") == std::optional<std::string_view>("5"));
  CHECK(m.getAll("Age").size() == 1);
}
