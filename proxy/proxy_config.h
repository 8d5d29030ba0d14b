#pragma once
// ProxyConfig: every setting of edgecache-proxy, from defaults, a TOML file
// and the command line (the command line overrides the file, the file
// overrides the defaults). Plain data; the clock is injectable for tests.
//
// TOML layout (every key optional; names match the CLI long options):
//   listen = "127.0.0.1:8080"      origin = "http://127.0.0.1:9000"   origin-ca = "" (https origins)
//   store = "./edgecache-data"     capacity = "1GiB"      policy = "lru"
//   controller = "static"          admin = "127.0.0.1:9091"  admin-token = ""
//   threads = <2 per core>         hot-bytes = "128MiB"
//   [limits]  max-connections, max-header-bytes, max-body-bytes, max-object-bytes
//   [timeouts] (milliseconds) request, idle, origin-connect, origin-response, drain
//   [control] window-requests, window-seconds, floor ("64MiB"), ceiling ("64GiB"),
//             dollars-per-gb-hour, dollars-per-gb-egress
// Errors are one line naming the file and the field ("proxy.toml: limits.max-body-bytes: ...").

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

#include "cachelib/cost_model.h"
#include "cachelib/status.h"
#include "proxy/caching_rules_config.h"
#include "proxy/http_date.h"

namespace edgecache::proxy {

struct HostPort {
  std::string host = "127.0.0.1";  // name or IP literal (IPv6 without brackets)
  std::uint16_t port = 0;
  std::string authority() const;  // "host:port", IPv6 bracketed
};

// The default number of I/O threads: two per online core
// (std::thread::hardware_concurrency), at least 2, at most 256. With one per
// core, each I/O thread needs more than its fair share of a core whenever
// anything else is busy on the machine (on loopback: the client), so the
// kernel's scheduler treats it as CPU-bound: it is preempted often and waits
// out other tasks' time slices (1.4 ms on 2 cores) while all of its
// connections wait. With two per core each needs at most about half a core,
// is picked promptly when it wakes, and a waiting thread holds up half as
// many connections (bench/RESULTS.md, "What sets the 1 KiB p99").
unsigned defaultIoThreads() noexcept;

// "host:port" / "[v6]:port". Port 0 is allowed (ephemeral, tests).
cachelib::Result<HostPort> parseHostPort(std::string_view text);

struct OriginUrl {
  std::string scheme = "http";  // "http" or "https" (TLS to the origin, certificate verified)
  HostPort hostPort{"127.0.0.1", 9000};
};
// "http://host[:port]" or "https://host[:port]" (default ports 80 / 443;
// path must be empty or "/").
cachelib::Result<OriginUrl> parseOriginUrl(std::string_view text);

struct ProxyConfig {
  HostPort listen{"127.0.0.1", 8080};  // loopback by default: exposing it is a decision
  OriginUrl origin;                    // the only upstream ever contacted
  std::string originCaFile;            // https origin: PEM CAs to trust; empty = the system store
  std::string storeDir = "./edgecache-data";  // RocksDB directory; "memory:" = in-process store
  std::uint64_t capacityBytes = 1ull << 30;   // initial cache capacity
  std::string policy = "lru";                 // initial policy (cachelib registry name)
  std::string controller = "static";          // static | size-only | strategy-only | joint-greedy | full spec
  std::optional<HostPort> admin = HostPort{"127.0.0.1", 9091};  // nullopt: no admin API
  std::string adminToken;                     // bearer token for mutating admin calls; empty = none
  unsigned threads = defaultIoThreads();       // I/O threads, one io_context each (default: two per core)
  bool checkOnly = false;                      // --check-config: validate, build the controller, exit
  std::uint64_t hotBytes = 128ull << 20;      // in-memory hot tier of bodies (proxy/hot_body_store.h); 0 = off

  // Limits.
  std::size_t maxConnections = 1024;          // concurrent client connections; more get a 503 and close at accept
  std::uint32_t maxHeaderBytes = 16 * 1024;   // request head; above -> 431 and close
  std::uint64_t maxBodyBytes = 8ull << 20;    // request body; above -> 413 and close
  std::size_t originMaxIdle = 64;             // pooled idle origin connections

  // Timeouts.
  std::chrono::milliseconds requestTimeout{10'000};        // head, from its first byte (and the body) -> 408 and close
  std::chrono::milliseconds idleTimeout{30'000};           // keep-alive wait for a next request's first byte -> close
  std::chrono::milliseconds writeTimeout{30'000};          // writing one response chunk to a client
  std::chrono::milliseconds originConnectTimeout{2'000};   // TCP connect to the origin -> 504
  std::chrono::milliseconds originResponseTimeout{15'000}; // origin head, and each body read -> 504
  std::chrono::milliseconds drainTimeout{10'000};          // SIGTERM: wait for in-flight requests

  CachingRulesConfig rules;  // includes maxObjectBytes (64 MiB): bigger bodies are streamed, not stored

  // Control loop.
  std::uint64_t windowRequests = 10'000;  // a window ends after this many requests...
  double windowSeconds = 60.0;            // ...or this many seconds, whichever first
  std::uint64_t floorBytes = 64ull << 20;
  std::uint64_t ceilingBytes = 64ull << 30;
  cachelib::CostPrices prices;

  // Clock for freshness decisions (tests inject one); defaults to system_clock.
  std::function<HttpTime()> clock;
};

// Reads a TOML file over `base`. Errors: "<file>: <field>: <problem>".
cachelib::Result<ProxyConfig> loadConfigFile(const std::string& path, ProxyConfig base);

// Parses argv (CLI11). Returns the config, or an exit code: 0 after --help,
// 2 after a usage/config error (the one-line message already printed to
// stderr).
std::variant<ProxyConfig, int> parseCommandLine(int argc, char** argv);

// The controller spec for cachelib::makeController ("static" expands to
// "static:<policy>:<capacity>").
std::string controllerSpec(const ProxyConfig& config);

// The current time per config.clock (system_clock when unset).
HttpTime configNow(const ProxyConfig& config);

}  // namespace edgecache::proxy
