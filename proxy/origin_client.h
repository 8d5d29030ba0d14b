#pragma once
// Origin client: a keep-alive connection pool to the ONE configured origin
// and a coroutine API for one request/response exchange. Internal to the
// data plane (included only by origin_client.cpp and proxy_server.cpp):
// Asio types appear here, Beast types do not (they stay in the .cpp).
//
// HTTPS origins (OriginPoolConfig::tls): each new connection does a TLS
// handshake (OpenSSL through Asio) with SNI, verifying the origin's
// certificate chain against caFile (or the system store) and its name
// against tlsHost; a failed handshake is kTlsFailed (502). Pooled
// connections keep their TLS session for later requests.
//
// Timeouts: connect (-> kConnectTimeout, a 504), response head and every
// body read (-> kTimeout, a 504). Refused/reset/garbage -> 502. A timeout
// cancels the socket; nothing ever waits longer than the configured time.
//
// Threading: OriginPool is thread safe (one mutex around the idle list).
// An OriginExchange belongs to one coroutine; its completions run on that
// coroutine's executor (the session strand). No exceptions: every failure is
// an OriginFailure value.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "cachelib/status.h"
#include "proxy/http_headers.h"

namespace boost::asio::ssl {
class context;
}

namespace edgecache::proxy {

enum class OriginFailure {
  kNone,
  kConnectFailed,   // refused / unreachable -> 502
  kConnectTimeout,  // -> 504
  kTimeout,         // response head or body read too slow -> 504
  kReset,           // connection closed or reset mid-exchange -> 502
  kProtocol,        // unparseable response -> 502
  kTlsFailed,       // TLS handshake or certificate verification failed -> 502
};

// 502 or 504 for a failure (kNone -> 0).
int gatewayStatusFor(OriginFailure failure) noexcept;
const char* originFailureName(OriginFailure failure) noexcept;

struct OriginPoolConfig {
  boost::asio::ip::tcp::endpoint endpoint;  // resolved once at start-up
  std::chrono::milliseconds connectTimeout{2'000};
  std::chrono::milliseconds responseTimeout{15'000};
  std::size_t maxIdle = 64;
  std::uint32_t maxResponseHeaderBytes = 64 * 1024;
  bool tls = false;     // https origin
  std::string tlsHost;  // SNI and the name (or IP) the certificate must match
  std::string caFile;   // PEM file of trusted CAs; empty = the system's default store
};

struct OriginConnection;  // defined in origin_client.cpp

class OriginPool {
 public:
  explicit OriginPool(OriginPoolConfig config);
  ~OriginPool();
  // For a tls config: builds the TLS client context (loads caFile). Call
  // once before use; the error names the file ("origin CA file X: ...").
  cachelib::Status prepareTls();
  // The TLS context, or null for a plain-http origin.
  boost::asio::ssl::context* tlsContext() const noexcept { return tls_.get(); }
  const OriginPoolConfig& config() const noexcept { return config_; }
  // An idle pooled connection, or null.
  std::unique_ptr<OriginConnection> takeIdle();
  // Returns a connection that finished a keep-alive exchange cleanly.
  void giveBack(std::unique_ptr<OriginConnection> connection);
  // Drops the idle connections; later giveBack()s close theirs. Called
  // before the io_context the sockets belong to is destroyed.
  void close();
  std::uint64_t connectsTotal() const noexcept;
  void noteConnect() noexcept;

 private:
  OriginPoolConfig config_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<OriginConnection>> idle_;
  std::uint64_t connects_ = 0;
  bool closed_ = false;
};

struct OriginRequest {
  std::string method;  // as received
  std::string target;  // origin-form path and query
  HttpHeaders headers; // end-to-end fields only (hop-by-hop already stripped), Host included
  std::string body;    // sent with Content-Length when non-empty or the method usually has one
};

// One exchange. Usage: send() -> (status(), headers()) -> readBody() until
// done -> destroy (a cleanly finished keep-alive connection returns to the
// pool; anything else is closed).
class OriginExchange {
 public:
  explicit OriginExchange(OriginPool& pool);
  ~OriginExchange();
  OriginExchange(const OriginExchange&) = delete;
  OriginExchange& operator=(const OriginExchange&) = delete;

  // Connects (or reuses), writes the request and reads the response head.
  // An idle connection with bytes or EOF waiting on it is closed, never
  // reused. A reused connection that fails before any response byte is retried once
  // on a fresh connection for idempotent methods. Interim 1xx responses are
  // read and dropped (status() is the final response's); a 101 is
  // kProtocol, as no upgrade is ever asked for, and so is a response with a
  // Transfer-Encoding other than a lone chunked (or any in HTTP/1.0).
  boost::asio::awaitable<OriginFailure> send(const OriginRequest& request);

  int status() const noexcept { return status_; }
  const HttpHeaders& headers() const noexcept { return headers_; }  // as received (hop-by-hop included)
  std::optional<std::uint64_t> contentLength() const noexcept { return contentLength_; }
  bool bodyDone() const noexcept;

  // Reads up to `capacity` body bytes into `out` (decoding chunked);
  // `got` = bytes delivered (0 and bodyDone() at the end).
  boost::asio::awaitable<OriginFailure> readBody(char* out, std::size_t capacity, std::size_t& got);

 private:
  boost::asio::awaitable<OriginFailure> attempt(const OriginRequest& request, bool allowReuse, bool& reused,
                                                bool& anyResponseBytes);
  struct Parser;
  OriginPool& pool_;
  std::unique_ptr<OriginConnection> connection_;
  std::unique_ptr<Parser> parser_;
  int status_ = 0;
  HttpHeaders headers_;
  std::optional<std::uint64_t> contentLength_;
  bool failed_ = false;
};

}  // namespace edgecache::proxy
