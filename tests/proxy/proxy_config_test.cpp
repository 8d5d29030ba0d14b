// edgecache-proxy settings from TOML: good files apply, bad ones are refused
// with one line naming the file, the line or the field.

#include "proxy/proxy_config.h"

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <variant>
#include <vector>

#include "tests/test_support.h"

using namespace edgecache::proxy;

namespace {
std::string writeFile(const std::string& name, const std::string& text) {
  const auto path = (edgecache::testing::tempDir("proxy-config") / name).string();
  std::ofstream(path) << text;
  return path;
}

// Loads `text` as a config file that must be refused; checks that the error
// starts with the file's path and returns it.
std::string refusedConfigError(const std::string& name, const std::string& text) {
  const std::string path = writeFile(name, text);
  auto c = loadConfigFile(path, ProxyConfig{});
  REQUIRE_FALSE(c.isOk());
  CHECK(c.message().find(path) == 0);
  return c.message();
}
}  // namespace

TEST_CASE("a TOML file sets every section, the command-line defaults fill the rest") {
  const std::string path = writeFile("ok.toml", R"(
listen = "127.0.0.1:8181"
origin = "http://127.0.0.1:9100"
capacity = "2GiB"
policy = "s3fifo"
controller = "joint-greedy"
admin = "off"
threads = 4
hot-bytes = "32MiB"
[limits]
max-body-bytes = "1MiB"
[timeouts]
origin-connect = 500
[control]
window-requests = 5000
floor = "128MiB"
ceiling = "8GiB"
dollars-per-gb-egress = 0.05
)");
  auto c = loadConfigFile(path, ProxyConfig{});
  REQUIRE_MESSAGE(c.isOk(), c.message());
  CHECK(c->capacityBytes == 2ull << 30);
  CHECK(c->policy == "s3fifo");
  CHECK(c->controller == "joint-greedy");
  CHECK_FALSE(c->admin.has_value());
  CHECK(c->threads == 4);
  CHECK(c->hotBytes == 32ull << 20);
  CHECK(c->maxBodyBytes == 1ull << 20);
  CHECK(c->originConnectTimeout == std::chrono::milliseconds(500));
  CHECK(c->windowRequests == 5000);
  CHECK(c->floorBytes == 128ull << 20);
  CHECK(c->ceilingBytes == 8ull << 30);
  CHECK(c->prices.dollarsPerGbEgress == doctest::Approx(0.05));
  CHECK(controllerSpec(c.value()) == "joint-greedy");
  ProxyConfig stat = c.value();
  stat.controller = "static";
  CHECK(controllerSpec(stat) == "static:s3fifo:2GiB");
}

TEST_CASE("origin URLs: http and https, default ports") {
  auto h = parseOriginUrl("http://example.com");
  REQUIRE(h);
  CHECK(h->scheme == "http");
  CHECK(h->hostPort.port == 80);
  auto s = parseOriginUrl("https://example.com/");
  REQUIRE(s);
  CHECK(s->scheme == "https");
  CHECK(s->hostPort.host == "example.com");
  CHECK(s->hostPort.port == 443);
  auto p = parseOriginUrl("https://127.0.0.1:8443");
  REQUIRE(p);
  CHECK(p->hostPort.port == 8443);
  CHECK_FALSE(parseOriginUrl("ftp://example.com"));
  CHECK_FALSE(parseOriginUrl("https://example.com/path"));
}

TEST_CASE("float values for integer settings are refused, however large (fuzz)") {
  // Found by fuzz_proxy_config (UBSan): toml++'s value<int64_t>() cast the
  // float 1e25 to int64 before checking it fits.
  const char* cases[] = {"capacity = 10e24\n", "capacity = 1.5\n", "threads = 2.0\n", "threads = -1e300\n",
                         "[timeouts]\nrequest = 1e19\n"};
  int i = 0;
  for (const std::string text : cases) {
    CAPTURE(text);
    (void)refusedConfigError("float" + std::to_string(i++) + ".toml", text);
  }
  const std::string path = writeFile("int.toml", "capacity = 1048576\nthreads = 3\n");
  auto c = loadConfigFile(path, ProxyConfig{});
  REQUIRE(c.isOk());
  CHECK(c.value().capacityBytes == 1048576);
  CHECK(c.value().threads == 3);
}

TEST_CASE("host:port refuses an empty host and hosts with spaces or control characters") {
  // Seen while writing the one-line error test: "127.0.0.1\r\n:80" was a
  // valid listen address, and an origin host with CR LF would reach the
  // Host field of origin requests.
  CHECK(parseHostPort("localhost:8080"));
  CHECK(parseHostPort("[::1]:80"));
  for (const char* text : {"127.0.0.1\r\n:80", "exa mple.com:80", "a\tb:80", "[]:80", "[::1\n]:80", "a\x7f:1"}) {
    CAPTURE(std::string(text));
    auto hp = parseHostPort(text);
    REQUIRE_FALSE(hp);
    CHECK(hp.message().find("bad host") != std::string::npos);
  }
  CHECK_FALSE(parseOriginUrl("http://a\r\nX-Evil: 1"));
  CHECK_FALSE(parseOriginUrl("http://a b:8080"));
}

TEST_CASE("bad files are refused with one line naming file and line or field") {
  struct Case {
    const char* text;
    const char* mustContain;
  };
  const Case cases[] = {
      {"listen = \"127.0.0.1:8181\"\ncapacity = \n", ":2:"},           // TOML syntax: file:line:column
      {"capacity = \"12XB\"\n", "capacity"},
      {"policy = \"nope\"\n", "policy"},
      {"policy = \"belady\"\n", "policy: offline bound, not a live policy 'belady'"},
      {"threads = 0\n", "threads"},
      {"hot-bytes = \"lots\"\n", "hot-bytes"},
      {"bogus = 1\n", "bogus: unknown setting"},
      {"[limits]\nmax-header-bytes = \"1GiB\"\n", "limits.max-header-bytes"},
      {"[control]\nfloor = \"8GiB\"\nceiling = \"1GiB\"\n", "control.floor"},
      {"origin = \"ftp://x\"\n", "origin"},
      {"limits = 3\n", "limits: expected a table"},
  };
  int i = 0;
  for (const Case& k : cases) {
    CAPTURE(k.text);
    const std::string path = writeFile("bad" + std::to_string(i++) + ".toml", k.text);
    auto c = loadConfigFile(path, ProxyConfig{});
    REQUIRE_FALSE(c.isOk());
    CHECK(c.message().find(path) == 0);
    CHECK(c.message().find(k.mustContain) != std::string::npos);
    CHECK(c.message().find('\n') == std::string::npos);
  }
  auto missing = loadConfigFile("/nonexistent/edgecache.toml", ProxyConfig{});
  CHECK_FALSE(missing.isOk());
}

TEST_CASE("errors quoting newlines or control characters stay one line (fuzz)") {
  // Found by fuzz_proxy_config: toml++ echoed the raw newline after "n"
  // ("expected 'nan', saw 'n<LF>'"), and keys and values quoted in field
  // errors can hold escaped control characters.
  const char* cases[] = {
      "capacity = n\n",
      "\"bo\\ngus\" = 1\n",
      "policy = \"l\\nr\\tu\"\n",
      "listen = \"127.0.0.1:8\\n0\"\n",
  };
  int i = 0;
  for (const std::string text : cases) {
    CAPTURE(text);
    const std::string message = refusedConfigError("ctl" + std::to_string(i++) + ".toml", text);
    CHECK(message.find('\n') == std::string::npos);
    CHECK(message.find('\r') == std::string::npos);
    CHECK(message.find('\t') == std::string::npos);
  }
}

TEST_CASE("errors quote at most the start of a long key or value (fuzz)") {
  // Found by fuzz_proxy_config once it bounded error length: an unknown key,
  // a policy, a listen address or a byte size was quoted whole, so a 3000-byte
  // key made a 3000-byte error line. Quotes stop after 60 bytes with "...".
  const std::string longText(3000, 'x');
  const std::string cases[] = {
      longText + " = 1\n",
      "policy = \"" + longText + "\"\n",
      "listen = \"" + longText + "\"\n",
      "listen = \"" + longText + ":99999\"\n",
      "admin = \"[" + longText + "\"\n",
      "origin = \"ftp://" + longText + "\"\n",
      "origin = \"http://a/" + longText + "\"\n",
      "capacity = \"" + std::string(3000, '9') + "\"\n",
      "[limits]\nmax-body-bytes = \"1" + longText + "\"\n",
  };
  int i = 0;
  for (const std::string& text : cases) {
    CAPTURE(text.substr(0, 20));
    const std::string message = refusedConfigError("long" + std::to_string(i++) + ".toml", text);
    CHECK(message.size() < 400);
    CHECK(message.find("...") != std::string::npos);
  }
  CHECK(parseHostPort(longText).message().size() < 200);
  CHECK(parseOriginUrl(longText).message().size() < 200);
}

TEST_CASE("a misspelt setting inside [limits], [timeouts] or [control] is refused, not ignored") {
  // Seen reviewing fuzz_proxy_config: only top-level keys were checked, so
  // "max-conections = 10" loaded fine and left the default 1024 in place.
  struct Case {
    const char* text;
    const char* mustContain;
  };
  const Case cases[] = {
      {"[limits]\nmax-conections = 10\n", "limits.max-conections: unknown setting"},
      {"[timeouts]\nrequests = 5000\n", "timeouts.requests: unknown setting"},
      {"[control]\nflor = \"1GiB\"\n", "control.flor: unknown setting"},
      {"[limits.extra]\nx = 1\n", "limits.extra: unknown setting"},
  };
  int i = 0;
  for (const Case& k : cases) {
    CAPTURE(k.text);
    const std::string message = refusedConfigError("typo" + std::to_string(i++) + ".toml", k.text);
    CHECK(message.find(k.mustContain) != std::string::npos);
  }
  // Every setting deploy/edgecache-proxy.toml documents is still known.
  auto shipped = loadConfigFile(std::string(EDGECACHE_SOURCE_DIR) + "/deploy/edgecache-proxy.toml", ProxyConfig{});
  CHECK_MESSAGE(shipped.isOk(), shipped.message());
}

TEST_CASE("command-line options given as 0 or empty are refused, not ignored") {
  // Seen reviewing what fuzz_proxy_config drives: options were applied only
  // when non-empty (threads: non-zero), so "--threads 0" or "--capacity ''"
  // (an unset shell variable) ran silently with the file's or default value.
  auto parse = [](std::vector<std::string> args) {
    args.insert(args.begin(), "edgecache-proxy");
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    return parseCommandLine(static_cast<int>(args.size()), argv.data());
  };
  const std::vector<std::vector<std::string>> refused = {
      {"--threads", "0"}, {"--capacity", ""},    {"--hot-bytes", ""}, {"--listen", ""},
      {"--origin", ""},   {"--policy", ""},      {"--store", ""},     {"--admin-token", ""},
  };
  for (const auto& args : refused) {
    CAPTURE(args[0]);
    const auto r = parse(args);
    REQUIRE(std::holds_alternative<int>(r));
    CHECK(std::get<int>(r) == 2);
  }
  const auto threads = parse({"--threads", "3", "--admin", ""});
  REQUIRE(std::holds_alternative<ProxyConfig>(threads));
  CHECK(std::get<ProxyConfig>(threads).threads == 3);
  CHECK_FALSE(std::get<ProxyConfig>(threads).admin.has_value());  // empty = off, as in the file
  CHECK(std::holds_alternative<ProxyConfig>(parse({})));
}

TEST_CASE("prices and window seconds must be finite and non-negative (nan and inf are TOML floats)") {
  for (const char* value : {"nan", "inf", "-inf", "-0.5"}) {
    CAPTURE(value);
    const std::string error = refusedConfigError(
        "price.toml", std::string("[control]\ndollars-per-gb-hour = ") + value + "\n");
    CHECK(error.find("control.dollars-per-gb-hour: expected a finite non-negative number") != std::string::npos);
  }
  const std::string error = refusedConfigError("window.toml", "[control]\nwindow-seconds = nan\n");
  CHECK(error.find("control.window-seconds") != std::string::npos);
}
