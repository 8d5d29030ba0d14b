#include "proxy/http_date.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;
using std::chrono::seconds;

namespace {
// Sun, 06 Nov 1994 08:49:37 GMT, the example of RFC 9110 §5.6.7.
const HttpTime kExample{seconds(784111777)};
const HttpTime kNow{seconds(1700000000)};  // 2023-11-14
}  // namespace

TEST_CASE("HTTP-date: the three forms of RFC 9110 §5.6.7 give the same instant") {
  CHECK(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT", kNow) == kExample);
  CHECK(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT", kNow) == kExample);
  CHECK(parseHttpDate("Sun Nov  6 08:49:37 1994", kNow) == kExample);
}

TEST_CASE("HTTP-date: formatting is IMF-fixdate and round-trips") {
  CHECK(formatHttpDate(kExample) == "Sun, 06 Nov 1994 08:49:37 GMT");
  CHECK(formatHttpDate(HttpTime{seconds(0)}) == "Thu, 01 Jan 1970 00:00:00 GMT");
  for (std::int64_t s : {0LL, 951782400LL, 1700000000LL, 4102444799LL}) {
    HttpTime t{seconds(s)};
    CHECK(parseHttpDate(formatHttpDate(t), kNow) == t);
  }
}

TEST_CASE("HTTP-date: lenient on case and surrounding whitespace") {
  CHECK(parseHttpDate("  sun, 06 nov 1994 08:49:37 gmt\t", kNow) == kExample);
  CHECK(parseHttpDate("SUNDAY, 06-NOV-94 08:49:37 GMT", kNow) == kExample);
  CHECK(parseHttpDate("Sun Nov 16 08:49:37 1994", kNow) == kExample + std::chrono::days(10));
  // Leap second rolls into the next minute rather than being rejected.
  CHECK(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT", kNow) == parseHttpDate("Sun, 01 Jan 2017 00:00:00 GMT", kNow));
}

TEST_CASE("HTTP-date: rfc850 two-digit years follow the 50-year rule") {
  // Relative to 2023: "94" is 1994, "30" is 2030 (not > 50 years ahead), "99" is 1999.
  CHECK(parseHttpDate("Wednesday, 01-Jan-30 00:00:00 GMT", kNow) == parseHttpDate("Tue, 01 Jan 2030 00:00:00 GMT", kNow));
  CHECK(parseHttpDate("Friday, 31-Dec-99 23:59:59 GMT", kNow) == parseHttpDate("Fri, 31 Dec 1999 23:59:59 GMT", kNow));
  // "74" from 2023 would be 2074, 51 years ahead: so 1974.
  CHECK(parseHttpDate("Tuesday, 01-Jan-74 00:00:00 GMT", kNow) == parseHttpDate("Tue, 01 Jan 1974 00:00:00 GMT", kNow));
}

TEST_CASE("HTTP-date: invalid values are rejected, never crash") {
  for (const char* bad : {"", "0", "-1", "now", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 PST",
                          "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                          "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                          "Sun, 06 Nov 1994 08:60:00 GMT", "Sun, 06 Nov 1994 08:49:61 GMT",
                          "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 08:49:37 GMT trailing",
                          "Sunday, 06-Nov-1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994", "Sun Nov  6 08:49:37 94",
                          "Sun,06 Nov 1994 08:49:37 GMT", "Sun, 00 Nov 1994 08:49:37 GMT", ",", "Sun", "Sun ",
                          "Sun, ", "Sunday, ", "\xff\xfe", "Sun, 06 Nov 1994 08:49:3"}) {
    CAPTURE(bad);
    CHECK_FALSE(parseHttpDate(bad, kNow));
  }
}

TEST_CASE("delta-seconds: digits only, saturating at 2^31 (RFC 9111 §1.2.2)") {
  CHECK(parseDeltaSeconds("0") == seconds(0));
  CHECK(parseDeltaSeconds("3600") == seconds(3600));
  CHECK(parseDeltaSeconds("2147483648") == kMaxDeltaSeconds);
  CHECK(parseDeltaSeconds("99999999999999999999999999") == kMaxDeltaSeconds);
  CHECK_FALSE(parseDeltaSeconds(""));
  CHECK_FALSE(parseDeltaSeconds("-1"));
  CHECK_FALSE(parseDeltaSeconds("+1"));
  CHECK_FALSE(parseDeltaSeconds("1.5"));
  CHECK_FALSE(parseDeltaSeconds(" 1"));
  CHECK_FALSE(parseDeltaSeconds("abc"));
}
