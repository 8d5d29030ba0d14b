#include "proxy/hop_by_hop.h"

#include <doctest/doctest.h>

using namespace edgecache::proxy;

TEST_CASE("the fixed hop-by-hop fields") {
  for (auto f : {"Connection", "keep-alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade",
                 "Proxy-Authenticate", "Proxy-Authorization"}) {
    CAPTURE(f);
    CHECK(isHopByHopField(f));
  }
  for (auto f : {"Content-Length", "Cache-Control", "Host", "Trailers", "Authorization"}) {
    CAPTURE(f);
    CHECK_FALSE(isHopByHopField(f));
  }
}

TEST_CASE("strip removes fixed fields and every Connection option, keeps the rest in order") {
  HttpHeaders h{{"Host", "example.com"},          {"Connection", "keep-alive, X-Custom"},
                {"Keep-Alive", "timeout=5"},      {"X-Custom", "1"},
                {"Accept", "*/*"},                {"connection", "Upgrade,x-other"},
                {"Upgrade", "websocket"},         {"X-Other", "2"},
                {"TE", "trailers"},               {"Transfer-Encoding", "chunked"},
                {"Proxy-Authorization", "Basic"}, {"Trailer", "X-T"},
                {"Proxy-Connection", "close"},    {"Proxy-Authenticate", "Basic"},
                {"Content-Length", "0"}};
  auto out = stripHopByHop(h);
  REQUIRE(out.size() == 3);
  CHECK(out.fields()[0].name == "Host");
  CHECK(out.fields()[1].name == "Accept");
  CHECK(out.fields()[2].name == "Content-Length");
}

TEST_CASE("strip tolerates garbage Connection values") {
  HttpHeaders h{{"Connection", ",,, \"quoted\" , ;"}, {"A", "1"}};
  auto out = stripHopByHop(h);
  REQUIRE(out.size() == 1);
  CHECK(out.fields()[0].name == "A");
  CHECK(stripHopByHop(HttpHeaders{}).empty());
}
