#include "cachelib/byte_size.h"

#include <doctest/doctest.h>

using namespace edgecache::cachelib;

TEST_CASE("byte sizes parse with binary and decimal units") {
  CHECK(parseByteSize("1048576").value() == 1048576);
  CHECK(parseByteSize("512MiB").value() == 512ull << 20);
  CHECK(parseByteSize("1GiB").value() == 1ull << 30);
  CHECK(parseByteSize("1g").value() == 1ull << 30);
  CHECK(parseByteSize("10MB").value() == 10'000'000);
  CHECK(parseByteSize("1.5GiB").value() == 3ull << 29);
  CHECK(parseByteSize(" 64 KiB ").value() == 65536);
  CHECK(parseByteSize("2TiB").value() == 2ull << 40);
}

TEST_CASE("bad byte sizes are refused with the text named") {
  for (const char* bad : {"", "MiB", "12XB", "-5", "1.2.3GiB", "99999999999999999999", "20000000TiB"}) {
    CAPTURE(bad);
    auto r = parseByteSize(bad);
    CHECK_FALSE(r.isOk());
    CHECK(r.message().find("invalid byte size") != std::string::npos);
  }
}

TEST_CASE("formatByteSize round-trips") {
  for (std::uint64_t v : {0ull, 1ull, 1023ull, 1024ull, 1536ull, 1ull << 20, 3ull << 29, 5ull << 40}) {
    CAPTURE(v);
    CHECK(parseByteSize(formatByteSize(v)).value() == v);
  }
  CHECK(formatByteSize(512ull << 20) == "512MiB");
  CHECK(humanBytes(1536) == "1.5 KiB");
}
