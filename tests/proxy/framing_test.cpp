#include "proxy/framing.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

TEST_CASE("framing: no body, Content-Length, chunked") {
  auto none = validateRequestFraming({{"Host", "x"}});
  CHECK(none.ok());
  CHECK(none.framing == BodyFraming::kNone);
  auto cl = validateRequestFraming({{"Content-Length", "42"}});
  CHECK(cl.ok());
  CHECK(cl.framing == BodyFraming::kContentLength);
  CHECK(cl.contentLengthBytes == 42);
  CHECK(validateRequestFraming({{"Content-Length", " 0 "}}).contentLengthBytes == 0);
  CHECK(validateRequestFraming({{"Content-Length", "18446744073709551615"}}).ok());
  auto te = validateRequestFraming({{"Transfer-Encoding", "Chunked"}});
  CHECK(te.ok());
  CHECK(te.framing == BodyFraming::kChunked);
}

TEST_CASE("framing: Content-Length and Transfer-Encoding together are rejected") {
  auto both = validateRequestFraming({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}});
  CHECK_FALSE(both.ok());
  CHECK(both.errorStatus == 400);
  CHECK_FALSE(both.reason.empty());
}

TEST_CASE("framing: bad Content-Length values") {
  for (const char* v : {"", "abc", "-1", "+1", "1.0", "0x10", "1 2", "42, 42", "42,43", "18446744073709551616",
                        "99999999999999999999999"}) {
    CAPTURE(v);
    auto r = validateRequestFraming({{"Content-Length", v}});
    CHECK_FALSE(r.ok());
    CHECK(r.errorStatus == 400);
  }
  CHECK_FALSE(validateRequestFraming({{"Content-Length", "42"}, {"Content-Length", "42"}}).ok());
  CHECK_FALSE(validateRequestFraming({{"Content-Length", "42"}, {"content-length", "43"}}).ok());
}

TEST_CASE("framing: Transfer-Encoding must be a single final chunked") {
  CHECK(validateRequestFraming({{"Transfer-Encoding", "gzip"}}).errorStatus == 400);
  CHECK(validateRequestFraming({{"Transfer-Encoding", "chunked, gzip"}}).errorStatus == 400);
  CHECK(validateRequestFraming({{"Transfer-Encoding", "chunked, chunked"}}).errorStatus == 400);
  CHECK(validateRequestFraming({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}).errorStatus == 400);
  CHECK(validateRequestFraming({{"Transfer-Encoding", "gzip, chunked"}}).errorStatus == 501);
  CHECK(validateRequestFraming({{"Transfer-Encoding", ""}}).errorStatus == 400);
  CHECK(validateRequestFraming({{"Transfer-Encoding", "chunked "}}).ok());
  CHECK(validateRequestFraming({{"Transfer-Encoding", "xchunked"}}).errorStatus == 400);
  CHECK(validateRequestFraming({{"Transfer-Encoding", "chunked"}}, /*http10=*/true).errorStatus == 400);
  CHECK(validateRequestFraming({{"Content-Length", "3"}}, /*http10=*/true).ok());
}

TEST_CASE("chunk-size lines") {
  auto ok = [](std::string_view line) {
    auto r = parseChunkSizeLine(line);
    return r.ok ? std::optional<std::uint64_t>(r.sizeBytes) : std::nullopt;
  };
  CHECK(ok("0") == 0u);
  CHECK(ok("1a") == 26u);
  CHECK(ok("FF") == 255u);
  CHECK(ok("000000000000000000010") == 16u);  // leading zeros are not overflow
  CHECK(ok("ffffffffffffffff") == UINT64_MAX);
  CHECK(ok("5;name") == 5u);
  CHECK(ok("5;name=value") == 5u);
  CHECK(ok("5 ; name = \"quoted ; \\\" value\" ; other") == 5u);
  CHECK(ok("5\t;a=b") == 5u);
  CHECK(ok("5  ") == 5u);  // BWS before the (absent) extensions
}

TEST_CASE("chunk-size lines: garbage is rejected") {
  for (const char* bad : {"", " 5", "-5", "+5", "0x5", "5g", "5 6", "g", ";a", "5;", "5;=b", "5;a=", "5;a=\"open",
                          "5;a=b c", "10000000000000000", "fffffffffffffffff", "5\r", "5\n", "5;a=\"\x01\"",
                          "5;a=\"x\"y"}) {
    CAPTURE(bad);
    auto r = parseChunkSizeLine(bad);
    CHECK_FALSE(r.ok);
    CHECK_FALSE(r.reason.empty());
  }
  CHECK_FALSE(parseChunkSizeLine(std::string_view("5\0", 2)).ok);
}
