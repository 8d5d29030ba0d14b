#include "proxy/max_forwards.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

TEST_CASE("Max-Forwards: TRACE and OPTIONS are decremented, 0 is answered here") {
  HttpHeaders h{{"Host", "a"}, {"Max-Forwards", "3"}};
  CHECK(applyMaxForwards("OPTIONS", h) == MaxForwardsAction::kDecremented);
  CHECK(h.get("max-forwards") == "2");
  CHECK(applyMaxForwards("TRACE", h) == MaxForwardsAction::kDecremented);
  CHECK(h.get("max-forwards") == "1");
  CHECK(h.size() == 2);
  HttpHeaders zero{{"Max-Forwards", " 0 "}};
  CHECK(applyMaxForwards("TRACE", zero) == MaxForwardsAction::kAnswerHere);
  CHECK(zero.get("max-forwards") == " 0 ");
  HttpHeaders huge{{"Max-Forwards", "99999999999999999999999"}};
  CHECK(applyMaxForwards("OPTIONS", huge) == MaxForwardsAction::kDecremented);
  CHECK(huge.get("max-forwards") == "18446744073709551614");
}

TEST_CASE("Max-Forwards: other methods, absent or malformed values are forwarded untouched") {
  for (const char* method : {"GET", "DELETE", "options", "POST"}) {
    HttpHeaders h{{"Max-Forwards", "0"}};
    CHECK(applyMaxForwards(method, h) == MaxForwardsAction::kForward);
    CHECK(h.get("max-forwards") == "0");
  }
  HttpHeaders none{{"Host", "a"}};
  CHECK(applyMaxForwards("TRACE", none) == MaxForwardsAction::kForward);
  CHECK_FALSE(none.has("max-forwards"));
  for (const char* bad : {"", "-1", "1.0", "0x1", "1, 2", "a"}) {
    CAPTURE(bad);
    HttpHeaders h{{"Max-Forwards", bad}};
    CHECK(applyMaxForwards("TRACE", h) == MaxForwardsAction::kForward);
    CHECK(h.get("max-forwards") == bad);
  }
  HttpHeaders twice{{"Max-Forwards", "0"}, {"Max-Forwards", "5"}};
  CHECK(applyMaxForwards("OPTIONS", twice) == MaxForwardsAction::kForward);
}

TEST_CASE("TRACE reflection: request line and fields, without credentials") {
  const HttpHeaders h{{"Host", "a.test"},
                      {"Authorization", "Basic eA=="},
                      {"X-Probe", "1"},
                      {"cookie", "s=1"},
                      {"Proxy-Authorization", "x"}};
  CHECK(traceReflection("TRACE", "/p?q", 11, h) == "TRACE /p?q HTTP/1.1\r\nHost: a.test\r\nX-Probe: 1\r\n\r\n");
  CHECK(traceReflection("TRACE", "/", 10, HttpHeaders{}) == "TRACE / HTTP/1.0\r\n\r\n");
}
