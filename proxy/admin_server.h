#pragma once
// The proxy's admin HTTP API on its own port (cpp-httplib underneath; no
// httplib type appears here). It knows nothing of the proxy's internals: it
// parses and checks requests, then calls an AdminHooks implementation.
//
// Endpoints (with a bearer token configured, every one needs
// "Authorization: Bearer <token>", else 401):
//   GET  /status          200, hooks.statusJson() as application/json
//   PUT  /capacity[?hold=SECONDS]
//                         body "536870912" or "512MiB" (cachelib parseByteSize);
//                         a manual override: applied at once and pinned (the
//                         controller keeps running but no longer changes the
//                         capacity) until DELETE /capacity, or for SECONDS
//                         (1..2592000) when hold is given;
//                         200 {"ok":true,"capacityBytes":N,"holdSeconds":S|null}
//   DELETE /capacity      ends the override; the controller's latest decision
//                         applies at once. 200 {"ok":true,"released":true|false}
//   PUT  /policy[?hold=SECONDS]
//                         body = registry policy name (online policies only),
//                         pinned like /capacity;
//                         200 {"ok":true,"policy":"<name>","id":N,"holdSeconds":S|null}
//   DELETE /policy        like DELETE /capacity.
//   POST /purge?url=U     200 {"ok":true,"purged":N}
//   GET  /metrics         200, hooks.metricsText(), text/plain; version=0.0.4
// Errors: unparsable input or a hook returning an error -> 400; missing or
// wrong token -> 401; known path, wrong method -> 405 (with Allow); unknown
// path -> 404; body over maxBodyBytes -> 413. Error bodies are one line of
// JSON: {"error":"<message>"}. A hook that throws yields 500; the server
// never dies of a request.
//
// Thread safety: hooks are called from the server's worker threads,
// possibly concurrently (AdminServerOptions::threads), so they must be
// thread safe. start()/stop()/port() are for one owning thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "cachelib/policy.h"
#include "cachelib/status.h"

namespace edgecache::proxy {

// What the admin API needs from the proxy. Implemented by the proxy's glue
// (and by tests). Every method may run on any worker thread, concurrently.
class AdminHooks {
 public:
  virtual ~AdminHooks() = default;
  // A JSON object describing the proxy (capacity, used bytes, policy, ...).
  virtual std::string statusJson() = 0;
  // Resizes the cache and pins the capacity against the controller for
  // `hold` (zero: until releaseCapacity). An error (e.g. below a minimum) is
  // reported as 400.
  virtual cachelib::Status setCapacity(std::uint64_t capacityBytes, std::chrono::seconds hold) = 0;
  // Switches the replacement policy (already checked to be a registered
  // online policy) and pins it like setCapacity.
  virtual cachelib::Status setPolicy(cachelib::PolicyId policy, std::chrono::seconds hold) = 0;
  // End a pin; the result says whether one was in force.
  virtual bool releaseCapacity() = 0;
  virtual bool releasePolicy() = 0;
  // Removes every cached variant of `url`; returns how many objects went.
  virtual cachelib::Result<std::uint64_t> purge(std::string_view url) = 0;
  // The metrics in Prometheus text format 0.0.4.
  virtual std::string metricsText() = 0;
};

struct AdminServerOptions {
  // Interface to bind; loopback so the API is not exposed by accident.
  std::string bindAddress = "127.0.0.1";
  // TCP port; 0 picks an ephemeral port (read it back with port()).
  std::uint16_t port = 9190;
  // When non-empty, requests must carry "Authorization: Bearer <token>".
  std::string bearerToken;
  // Largest accepted request body, bytes.
  std::size_t maxBodyBytes = 4096;
  // Worker threads serving requests.
  int threads = 2;
  // Per-connection read and write timeouts.
  std::chrono::seconds ioTimeout{5};
};

class AdminServer {
 public:
  // `hooks` must outlive the server.
  AdminServer(AdminHooks& hooks, AdminServerOptions options);
  // Stops the server if running.
  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts serving on a background thread; returns once the
  // server accepts connections. Fails if the address cannot be bound or the
  // server is already running.
  cachelib::Status start();
  // Stops accepting, finishes in-flight requests and joins the thread.
  // Idempotent.
  void stop();
  // The bound port after a successful start() (the real one when options
  // asked for 0), else 0.
  std::uint16_t port() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"error":"<message>"} with JSON string escaping; exposed for tests.
std::string jsonError(std::string_view message);

}  // namespace edgecache::proxy
