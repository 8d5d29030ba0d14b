#pragma once
// ProxyServer: the HTTP/1.1 data plane. Accept loop, per-connection sessions,
// the request handler (caching rules from proxy/*.h, index in CacheIndex,
// bodies in a BodyStore), the origin client, SIGTERM/SIGINT drain.
// Beast/Asio stay inside proxy_server.cpp / origin_client.cpp.
//
// Threads: `config.threads` threads, each running its own io_context (no
// scheduler handoffs between threads); accepted connections are dealt to
// them round robin, and each connection is a coroutine on its thread. A
// slow client or origin only ever parks its own coroutine (every read/write
// has a timeout). Shared state touched by requests: CacheIndex (a
// reader/writer lock: hits read under it shared and queue their policy
// update per thread), the hot tier (a reader/writer lock per shard, shared
// on hits), FetchCollapser (one mutex, misses only), one OriginPool per
// thread (idle list, one mutex), AccessLog (one buffer per thread), counters
// (atomics). So a cache hit never waits for another I/O thread. The request
// path can block only on BodyStore calls (RocksDB reads/writes of one chunk)
// — see the report/README.
//
// Lifetime: create -> start() -> (beginDrain() | signals) -> waitStopped().
// The CacheIndex and AccessLog must outlive the server.

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "cachelib/status.h"
#include "proxy/cache_index.h"
#include "proxy/control_loop.h"
#include "proxy/metrics.h"
#include "proxy/proxy_config.h"

namespace edgecache::proxy {

// How a client request was answered, for the per-result latency histogram
// and served bytes (the X-Cache label of the response).
enum class ResponseOutcome : std::uint8_t { kHit, kStale, kCollapsed, kRevalidated, kMiss, kPass, kError };
inline constexpr std::size_t kResponseOutcomes = 7;
// Prometheus label values, indexed by ResponseOutcome.
inline constexpr std::array<const char*, kResponseOutcomes> kResponseOutcomeNames{
    "hit", "stale", "collapsed", "revalidated", "miss", "pass", "error"};

// Histograms and counters the data plane updates directly (lock-free
// handles from proxy/metrics.h; default-constructed ones discard).
struct ProxyInstruments {
  std::array<Histogram, kResponseOutcomes> responseSeconds;  // request read -> response written
  std::array<Counter, kResponseOutcomes> servedBytes;        // body bytes sent to clients
  Histogram originFetchSeconds;                              // origin request sent -> response head
};

// Monotonic counters (exported to metrics/admin by the owner).
struct ProxyCounters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> hits{0};            // served from the store without contacting the origin
  std::atomic<std::uint64_t> misses{0};          // fetched from the origin (cacheable method)
  std::atomic<std::uint64_t> revalidated{0};     // 304 from origin, served from the store
  std::atomic<std::uint64_t> staleServed{0};     // stale-while-revalidate / stale-if-error / max-stale
  std::atomic<std::uint64_t> passes{0};          // not cacheable: forwarded
  std::atomic<std::uint64_t> collapsed{0};       // answered from another request's fetch
  std::atomic<std::uint64_t> stored{0};          // objects committed to the store
  std::atomic<std::uint64_t> originFetches{0};   // exchanges started with the origin
  std::atomic<std::uint64_t> originErrors{0};    // connect/timeout/reset/protocol failures
  std::atomic<std::uint64_t> clientErrors{0};    // 4xx produced by the proxy itself (bad requests)
  std::atomic<std::uint64_t> bytesFromOrigin{0};
  std::atomic<std::uint64_t> bytesToClients{0};  // body bytes
  std::atomic<std::uint64_t> invalidations{0};
  std::atomic<std::uint64_t> connectionsRefused{0};  // over max connections
  std::atomic<std::uint64_t> activeConnections{0};
};

class ProxyServer {
 public:
  ProxyServer(ProxyConfig config, CacheIndex& index, AccessLog* accessLog);
  ~ProxyServer();  // stops and joins if still running
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  // Resolves the origin, binds the listener and starts the threads. Errors
  // name the address ("listen 127.0.0.1:8080: address in use").
  cachelib::Status start();
  // The bound port (useful with port 0).
  std::uint16_t port() const noexcept;
  // SIGTERM/SIGINT -> beginDrain(). Call before start() returns control.
  void handleSignals();
  // Thread safe, idempotent: stop accepting, close idle keep-alive
  // connections, let in-flight requests finish (up to drainTimeout), then
  // stop the threads.
  void beginDrain();
  // Blocks until the threads have exited.
  void waitStopped();
  bool draining() const noexcept;

  const ProxyCounters& counters() const noexcept;
  // Call before start(); without it the instruments discard.
  void setInstruments(ProxyInstruments instruments);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgecache::proxy
