// Start-up code: exceptions from toml++ and CLI11 are caught here and turned
// into one-line errors (CONVENTIONS §3 allows exceptions at start-up).

#include "proxy/proxy_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include "cachelib/byte_size.h"
#include "cachelib/controllers/controller_factory.h"
#include "cachelib/policy_registry.h"

namespace edgecache::proxy {

using cachelib::Result;
using cachelib::Status;

namespace {
// Text from the file or the command line quoted in an error: its first bytes
// only, so a 1 MiB key or value cannot make a 1 MiB error line.
std::string excerpt(std::string_view text) { return cachelib::printable(text, 60); }
}  // namespace

std::string HostPort::authority() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<HostPort> parseHostPort(std::string_view text) {
  HostPort hp;
  std::string_view portText;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Result<HostPort>::error("'" + excerpt(text) + "' is not [ipv6]:port");
    }
    hp.host = std::string(text.substr(1, close - 1));
    portText = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Result<HostPort>::error("'" + excerpt(text) + "' is not host:port");
    }
    hp.host = std::string(text.substr(0, colon));
    portText = text.substr(colon + 1);
  }
  // The host goes to the resolver and into the Host field of origin requests:
  // spaces or control characters (CR LF would inject header lines) are refused
  // here, with the text, rather than failing later at connect time.
  const bool hostOk = !hp.host.empty() && std::none_of(hp.host.begin(), hp.host.end(), [](char ch) {
    return static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f;
  });
  if (!hostOk) return Result<HostPort>::error("'" + excerpt(text) + "': bad host '" + excerpt(hp.host) + "'");
  unsigned port = 0;
  auto [p, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (ec != std::errc() || p != portText.data() + portText.size() || portText.empty() || port > 65535) {
    return Result<HostPort>::error("'" + excerpt(text) + "': bad port '" + excerpt(portText) + "'");
  }
  hp.port = static_cast<std::uint16_t>(port);
  return hp;
}

Result<OriginUrl> parseOriginUrl(std::string_view text) {
  OriginUrl url;
  constexpr std::string_view kHttp = "http://", kHttps = "https://";
  std::string_view rest;
  if (text.substr(0, kHttp.size()) == kHttp) {
    rest = text.substr(kHttp.size());
  } else if (text.substr(0, kHttps.size()) == kHttps) {
    url.scheme = "https";
    rest = text.substr(kHttps.size());
  } else {
    return Result<OriginUrl>::error("'" + excerpt(text) + "': expected http://host[:port] or https://host[:port]");
  }
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.find('/') != std::string_view::npos) {
    return Result<OriginUrl>::error("'" + excerpt(text) + "': the origin URL must not have a path");
  }
  const bool hasPort = !rest.empty() && (rest.back() != ']') && rest.rfind(':') != std::string_view::npos &&
                       (rest.front() != '[' || rest.rfind(']') < rest.rfind(':'));
  auto hp = parseHostPort(hasPort ? std::string(rest) : std::string(rest) + (url.scheme == "https" ? ":443" : ":80"));
  if (!hp) return Result<OriginUrl>::error(hp.message());
  url.hostPort = std::move(hp).value();
  return url;
}

std::string controllerSpec(const ProxyConfig& config) {
  if (config.controller == "static") {
    return "static:" + config.policy + ":" + cachelib::formatByteSize(config.capacityBytes);
  }
  return config.controller;
}

unsigned defaultIoThreads() noexcept {
  const unsigned cores = std::thread::hardware_concurrency();  // 0 when unknown
  return std::clamp(2 * std::max(cores, 1u), 2u, 256u);
}

HttpTime configNow(const ProxyConfig& config) {
  if (config.clock) return config.clock();
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

namespace {

// An integer node's value. value_exact, not value<int64_t>(): toml++ 3.x
// converts a float node with static_cast<int64_t> before checking its range
// (undefined for 1e25), and integer settings have no business being floats.
std::optional<std::int64_t> integerOf(const toml::node& node) { return node.value_exact<std::int64_t>(); }

// Applies a byte-size string or integer node.
Status applyBytes(const toml::node* node, const std::string& field, std::uint64_t& out) {
  if (!node) return Status::ok();
  if (auto i = integerOf(*node)) {
    if (*i < 0) return Status::error(field + ": must not be negative");
    out = static_cast<std::uint64_t>(*i);
    return Status::ok();
  }
  if (auto s = node->value<std::string>()) {
    auto r = cachelib::parseByteSize(*s);
    if (!r) return Status::error(field + ": " + r.message());
    out = r.value();
    return Status::ok();
  }
  return Status::error(field + ": expected a byte size such as \"1GiB\"");
}

template <typename T>
Status applyInt(const toml::node* node, const std::string& field, T& out, std::int64_t min, std::int64_t max) {
  if (!node) return Status::ok();
  auto i = integerOf(*node);
  if (!i || *i < min || *i > max) {
    return Status::error(field + ": expected an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  out = static_cast<T>(*i);
  return Status::ok();
}

Status applyMillis(const toml::node* node, const std::string& field, std::chrono::milliseconds& out) {
  std::int64_t ms = out.count();
  if (auto s = applyInt(node, field, ms, 1, 24ll * 3600 * 1000); !s) return s;
  out = std::chrono::milliseconds(ms);
  return Status::ok();
}

Status applyDouble(const toml::node* node, const std::string& field, double& out) {
  if (!node) return Status::ok();
  auto d = node->value<double>();
  // NaN and inf are TOML floats too; a price or window of either would turn
  // every cost figure into nan.
  if (!d || !std::isfinite(*d) || *d < 0) return Status::error(field + ": expected a finite non-negative number");
  out = *d;
  return Status::ok();
}

Status applyString(const toml::node* node, const std::string& field, std::string& out) {
  if (!node) return Status::ok();
  auto s = node->value<std::string>();
  if (!s) return Status::error(field + ": expected a string");
  out = *s;
  return Status::ok();
}

// Cross-field checks shared by file and command line.
Status validate(const ProxyConfig& c) {
  if (const auto* p = cachelib::findPolicy(c.policy); p == nullptr || p->offline) {
    return Status::error("policy: " + std::string(p ? "offline bound, not a live policy" : "unknown") + " '" +
                         excerpt(c.policy) + "' (known: " + cachelib::policyNames(false) + ")");
  }
  if (c.threads == 0 || c.threads > 256) return Status::error("threads: must be in [1, 256]");
  if (c.maxConnections == 0) return Status::error("limits.max-connections: must be positive");
  if (c.maxHeaderBytes < 1024) return Status::error("limits.max-header-bytes: must be at least 1024");
  if (c.floorBytes > c.ceilingBytes) return Status::error("control.floor: larger than control.ceiling");
  // The controller spec is not checked here: main.cpp builds it with both
  // factories (cachelib's baselines and the agent's drl specs) and exits 2
  // with "controller: ..." when neither accepts it.
  return Status::ok();
}

// Every key of `table` must be one of `known`: a misspelt setting is refused,
// not silently left at its default ("[limits] max-conections = 10").
Status checkKeys(const toml::table& table, std::string_view prefix, std::initializer_list<std::string_view> known) {
  for (const auto& [k, v] : table) {
    if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
      return Status::error(std::string(prefix) + excerpt(k.str()) + ": unknown setting");
    }
  }
  return Status::ok();
}

// Errors quote the offending text (toml++'s descriptions, keys, values), which
// may hold newlines or other control characters; the error must stay one line.
std::string oneLine(const std::string& message) { return cachelib::printable(message); }

}  // namespace

Result<ProxyConfig> loadConfigFile(const std::string& path, ProxyConfig c) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Result<ProxyConfig>::error(oneLine(path + ":" + std::to_string(where.line) + ":" +
                                              std::to_string(where.column) + ": " + std::string(e.description())));
  }
  auto fail = [&](const Status& s) { return Result<ProxyConfig>::error(oneLine(path + ": " + s.message())); };
  if (auto st = checkKeys(t, "", {"listen", "origin", "store", "capacity", "policy", "controller", "admin",
                                  "admin-token", "threads", "limits", "timeouts", "control", "hot-bytes", "origin-ca"});
      !st)
    return fail(st);
  std::string s;
  if (t.contains("listen")) {
    if (auto st = applyString(t.get("listen"), "listen", s); !st) return fail(st);
    auto hp = parseHostPort(s);
    if (!hp) return fail(Status::error("listen: " + hp.message()));
    c.listen = hp.value();
  }
  if (t.contains("origin")) {
    if (auto st = applyString(t.get("origin"), "origin", s); !st) return fail(st);
    auto o = parseOriginUrl(s);
    if (!o) return fail(Status::error("origin: " + o.message()));
    c.origin = o.value();
  }
  if (auto st = applyString(t.get("origin-ca"), "origin-ca", c.originCaFile); !st) return fail(st);
  if (auto st = applyString(t.get("store"), "store", c.storeDir); !st) return fail(st);
  if (auto st = applyBytes(t.get("capacity"), "capacity", c.capacityBytes); !st) return fail(st);
  if (auto st = applyString(t.get("policy"), "policy", c.policy); !st) return fail(st);
  if (auto st = applyString(t.get("controller"), "controller", c.controller); !st) return fail(st);
  if (t.contains("admin")) {
    if (auto st = applyString(t.get("admin"), "admin", s); !st) return fail(st);
    if (s.empty() || s == "off") {
      c.admin.reset();
    } else {
      auto hp = parseHostPort(s);
      if (!hp) return fail(Status::error("admin: " + hp.message()));
      c.admin = hp.value();
    }
  }
  if (auto st = applyString(t.get("admin-token"), "admin-token", c.adminToken); !st) return fail(st);
  if (auto st = applyInt(t.get("threads"), "threads", c.threads, 1, 256); !st) return fail(st);
  if (auto st = applyBytes(t.get("hot-bytes"), "hot-bytes", c.hotBytes); !st) return fail(st);
  if (const auto* lim = t.get_as<toml::table>("limits")) {
    if (auto st = checkKeys(*lim, "limits.", {"max-connections", "max-header-bytes", "max-body-bytes", "max-object-bytes"});
        !st)
      return fail(st);
    if (auto st = applyInt(lim->get("max-connections"), "limits.max-connections", c.maxConnections, 1, 1'000'000); !st)
      return fail(st);
    std::uint64_t v = c.maxHeaderBytes;
    if (auto st = applyBytes(lim->get("max-header-bytes"), "limits.max-header-bytes", v); !st) return fail(st);
    if (v > (1u << 24)) return fail(Status::error("limits.max-header-bytes: at most 16MiB"));
    c.maxHeaderBytes = static_cast<std::uint32_t>(v);
    if (auto st = applyBytes(lim->get("max-body-bytes"), "limits.max-body-bytes", c.maxBodyBytes); !st) return fail(st);
    if (auto st = applyBytes(lim->get("max-object-bytes"), "limits.max-object-bytes", c.rules.maxObjectBytes); !st)
      return fail(st);
  } else if (t.contains("limits")) {
    return fail(Status::error("limits: expected a table"));
  }
  if (const auto* to = t.get_as<toml::table>("timeouts")) {
    if (auto st = checkKeys(*to, "timeouts.", {"request", "idle", "origin-connect", "origin-response", "drain"}); !st)
      return fail(st);
    if (auto st = applyMillis(to->get("request"), "timeouts.request", c.requestTimeout); !st) return fail(st);
    if (auto st = applyMillis(to->get("idle"), "timeouts.idle", c.idleTimeout); !st) return fail(st);
    if (auto st = applyMillis(to->get("origin-connect"), "timeouts.origin-connect", c.originConnectTimeout); !st)
      return fail(st);
    if (auto st = applyMillis(to->get("origin-response"), "timeouts.origin-response", c.originResponseTimeout); !st)
      return fail(st);
    if (auto st = applyMillis(to->get("drain"), "timeouts.drain", c.drainTimeout); !st) return fail(st);
  } else if (t.contains("timeouts")) {
    return fail(Status::error("timeouts: expected a table"));
  }
  if (const auto* ct = t.get_as<toml::table>("control")) {
    if (auto st = checkKeys(*ct, "control.", {"window-requests", "window-seconds", "floor", "ceiling",
                                              "dollars-per-gb-hour", "dollars-per-gb-egress"});
        !st)
      return fail(st);
    if (auto st = applyInt(ct->get("window-requests"), "control.window-requests", c.windowRequests, 1,
                           1'000'000'000);
        !st)
      return fail(st);
    if (auto st = applyDouble(ct->get("window-seconds"), "control.window-seconds", c.windowSeconds); !st)
      return fail(st);
    if (auto st = applyBytes(ct->get("floor"), "control.floor", c.floorBytes); !st) return fail(st);
    if (auto st = applyBytes(ct->get("ceiling"), "control.ceiling", c.ceilingBytes); !st) return fail(st);
    if (auto st = applyDouble(ct->get("dollars-per-gb-hour"), "control.dollars-per-gb-hour",
                              c.prices.dollarsPerGbHour);
        !st)
      return fail(st);
    if (auto st = applyDouble(ct->get("dollars-per-gb-egress"), "control.dollars-per-gb-egress",
                              c.prices.dollarsPerGbEgress);
        !st)
      return fail(st);
  } else if (t.contains("control")) {
    return fail(Status::error("control: expected a table"));
  }
  if (auto st = validate(c); !st) return fail(st);
  return c;
}

std::variant<ProxyConfig, int> parseCommandLine(int argc, char** argv) {
  CLI::App app{"edgecache-proxy: an HTTP/1.1 edge caching reverse proxy for one origin.\n"
               "Settings come from defaults, then --config FILE (TOML), then these options. Limits, timeouts and\n"
               "the controller's window, capacity range and prices are set in the file: deploy/edgecache-proxy.toml\n"
               "lists every setting with its default."};
  std::string configFile, listen, origin, store, capacity, policy, controller, admin, adminToken, hotBytes,
      originCa;
  unsigned threads = 0;
  bool checkOnly = false;
  app.add_option("--config", configFile, "TOML file with the same settings (command line overrides it)");
  app.add_flag("--check-config", checkOnly,
               "Validate the settings (and build the controller, loading its model) then exit: 0 if usable, 2 if not");
  app.add_option("--listen", listen, "Client address host:port (default 127.0.0.1:8080, loopback only)");
  app.add_option("--origin", origin, "The one origin, http://host:port (default http://127.0.0.1:9000)");
  app.add_option("--origin-ca", originCa,
                 "PEM file of CAs trusted for an https:// origin (default: the system store)");
  app.add_option("--store", store, "Object store directory (default ./edgecache-data; 'memory:' keeps objects in RAM)");
  app.add_option("--capacity", capacity, "Initial cache capacity, e.g. 512MiB, 1GiB (default 1GiB)");
  app.add_option("--policy", policy, "Initial replacement policy: " + cachelib::policyNames(false) + " (default lru)");
  app.add_option("--controller", controller,
                 "Capacity/policy controller: static | size-only | strategy-only | joint-greedy | drl, or a full spec:\n" +
                     cachelib::controllerSpecHelp(true) + ", drl[:MODEL], drl-frozen[:MODEL] (the DRL agent; default model "
                     "without MODEL)");
  app.add_option("--admin", admin, "Admin API address host:port (default 127.0.0.1:9091; 'off' disables it)");
  app.add_option("--admin-token", adminToken, "Bearer token required by mutating admin calls (default: none)");
  app.add_option("--threads", threads,
                 "I/O threads (default: two per core, here " + std::to_string(defaultIoThreads()) + ")");
  app.add_option("--hot-bytes", hotBytes,
                 "Memory for recently served bodies (the hot tier in front of the store), e.g. 256MiB; 0 disables "
                 "(default 128MiB)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    std::cout << app.help();
    return 0;
  } catch (const CLI::ParseError& e) {
    std::cerr << "edgecache-proxy: " << oneLine(e.what()) << " (see --help)\n";
    return 2;
  }
  ProxyConfig c;
  c.checkOnly = checkOnly;
  if (!configFile.empty()) {
    auto loaded = loadConfigFile(configFile, c);
    if (!loaded) {
      std::cerr << "edgecache-proxy: " << loaded.message() << "\n";
      return 2;
    }
    c = std::move(loaded).value();
  }
  auto bad = [](const std::string& what) {
    std::cerr << "edgecache-proxy: " << oneLine(what) << "\n";
    return 2;
  };
  // An option given is applied as given: "--threads 0" or "--capacity ''"
  // (an unset shell variable) is an error, not a silent default.
  auto given = [&app](const char* name) { return app.count(name) > 0; };
  if (given("--listen")) {
    auto hp = parseHostPort(listen);
    if (!hp) return bad("--listen: " + hp.message());
    c.listen = hp.value();
  }
  if (given("--origin")) {
    auto o = parseOriginUrl(origin);
    if (!o) return bad("--origin: " + o.message());
    c.origin = o.value();
  }
  if (given("--origin-ca")) c.originCaFile = originCa;
  if (given("--store")) {
    if (store.empty()) return bad("--store: empty (a directory, or memory:)");
    c.storeDir = store;
  }
  if (given("--capacity")) {
    auto b = cachelib::parseByteSize(capacity);
    if (!b) return bad("--capacity: " + b.message());
    c.capacityBytes = b.value();
  }
  if (given("--policy")) c.policy = policy;
  if (given("--controller")) c.controller = controller;
  if (given("--admin")) {
    if (admin.empty() || admin == "off") {
      c.admin.reset();
    } else {
      auto hp = parseHostPort(admin);
      if (!hp) return bad("--admin: " + hp.message());
      c.admin = hp.value();
    }
  }
  if (given("--admin-token")) {
    // Empty would mean no token: more likely an unset variable than a wish.
    if (adminToken.empty()) return bad("--admin-token: empty (leave the option out for no token)");
    c.adminToken = adminToken;
  }
  if (given("--threads")) c.threads = threads;
  if (given("--hot-bytes")) {
    auto b = cachelib::parseByteSize(hotBytes);
    if (!b) return bad("--hot-bytes: " + b.message());
    c.hotBytes = b.value();
  }
  if (auto st = validate(c); !st) return bad(st.message());
  return c;
}

}  // namespace edgecache::proxy
