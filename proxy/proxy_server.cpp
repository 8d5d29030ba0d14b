// The Beast/Asio glue of the data plane. Rules live in proxy/*.h (pure
// functions); residency in CacheIndex; bodies in BodyStore; this file only
// moves bytes and calls them in the right order.
//
// Every connection is one C++20 coroutine on one I/O thread's io_context. All Asio calls
// use error-code completions (redirect_error): nothing on the request path
// throws (bad_alloc aside), and a failing connection only ends itself.

#include "proxy/proxy_server.h"

#include <sys/sendfile.h>
#include <csignal>
#include <sys/socket.h>

#include <cerrno>

#include <array>
#include <cstdio>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>

#include "proxy/cache_control.h"
#include "proxy/cache_key.h"
#include "proxy/conditional.h"
#include "proxy/framing.h"
#include "proxy/freshness.h"
#include "proxy/hop_by_hop.h"
#include "proxy/http_date.h"
#include "proxy/invalidation.h"
#include "proxy/max_forwards.h"
#include "proxy/origin_client.h"
#include "proxy/range.h"
#include "proxy/storability.h"
#include "proxy/vary.h"

namespace edgecache::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::awaitable;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

auto ecToken(error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

void logLine(const std::string& line) { std::fprintf(stderr, "edgecache-proxy: %s\n", line.c_str()); }

struct ClientRequest {
  std::string method;
  std::string target;  // origin-form path+query ("*" for OPTIONS *)
  unsigned version = 11;
  HttpHeaders headers;
  std::string body;
  bool wantsKeepAlive = true;
  std::string host;                // authority the key is built from
  std::optional<std::string> key;  // primary cache key, when the target has one
  bool isHead() const { return method == "HEAD"; }
};

enum class BodyMode { kNone, kHeadLength, kLength, kChunked, kUntilClose };

std::string reasonPhrase(int status) {
  auto r = http::obsolete_reason(static_cast<http::status>(status));
  return r.empty() || r == "<unknown-status>" ? std::string("Status") : std::string(r.data(), r.size());
}

bool isFramingField(std::string_view name) {
  return equalsIgnoreCase(name, "content-length") || equalsIgnoreCase(name, "transfer-encoding") ||
         equalsIgnoreCase(name, "connection") || equalsIgnoreCase(name, "keep-alive") ||
         equalsIgnoreCase(name, "x-cache");
}

// `age` / `contentRange`, when not empty, replace any Age / Content-Range
// in `headers` (so a stored response is served without copying its fields).
std::string buildHead(int status, const HttpHeaders& headers, BodyMode mode, std::uint64_t length, bool close,
                      std::string_view label, std::string_view age = {}, std::string_view contentRange = {}) {
  std::string out;
  out.reserve(1024);
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reasonPhrase(status);
  out += "\r\n";
  for (const auto& f : headers) {
    if (isFramingField(f.name)) continue;
    if (!age.empty() && equalsIgnoreCase(f.name, "age")) continue;
    if (!contentRange.empty() && equalsIgnoreCase(f.name, "content-range")) continue;
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  if (!age.empty()) {
    out += "Age: ";
    out += age;
    out += "\r\n";
  }
  if (!contentRange.empty()) {
    out += "Content-Range: ";
    out += contentRange;
    out += "\r\n";
  }
  switch (mode) {
    case BodyMode::kHeadLength:
    case BodyMode::kLength: out += "Content-Length: " + std::to_string(length) + "\r\n"; break;
    case BodyMode::kChunked: out += "Transfer-Encoding: chunked\r\n"; break;
    case BodyMode::kNone:
    case BodyMode::kUntilClose: break;
  }
  if (close) out += "Connection: close\r\n";
  if (!label.empty()) {
    out += "X-Cache: ";
    out += label;
    out += "\r\n";
  }
  out += "\r\n";
  return out;
}

// Writes to one client with a per-write timeout. After a failure every
// further write is a no-op returning false (the session then closes).
class ClientWriter {
 public:
  // The stream's socket must be in non-blocking mode (session() sets it).
  ClientWriter(beast::tcp_stream& stream, std::chrono::milliseconds timeout, ProxyCounters& counters)
      : stream_(stream), timeout_(timeout), counters_(counters) {}
  bool ok() const noexcept { return ok_; }
  // Per request: how it was answered (from the response's X-Cache label)
  // and the body bytes sent for it.
  void beginRequest() noexcept {
    outcome_ = ResponseOutcome::kError;
    requestBodyBytes_ = 0;
  }
  void noteLabel(std::string_view label) noexcept {
    static constexpr std::pair<std::string_view, ResponseOutcome> kLabels[] = {
        {"HIT", ResponseOutcome::kHit},       {"STALE", ResponseOutcome::kStale},
        {"COLLAPSED", ResponseOutcome::kCollapsed}, {"REVALIDATED", ResponseOutcome::kRevalidated},
        {"MISS", ResponseOutcome::kMiss},     {"PASS", ResponseOutcome::kPass}};
    outcome_ = ResponseOutcome::kError;
    for (const auto& [name, outcome] : kLabels)
      if (label == name) outcome_ = outcome;
  }
  ResponseOutcome outcome() const noexcept { return outcome_; }
  std::uint64_t requestBodyBytes() const noexcept { return requestBodyBytes_; }

  awaitable<bool> write(std::string_view data) {
    co_return co_await send(std::array<asio::const_buffer, 1>{asio::buffer(data.data(), data.size())});
  }
  awaitable<bool> writeBody(std::string_view data, bool chunked) {
    if (data.empty()) co_return ok_;
    counters_.bytesToClients.fetch_add(data.size(), std::memory_order_relaxed);
    requestBodyBytes_ += data.size();
    if (!chunked) co_return co_await write(data);
    char line[24];
    const int n = std::snprintf(line, sizeof line, "%zx\r\n", data.size());
    co_return co_await send(std::array<asio::const_buffer, 3>{asio::buffer(line, static_cast<std::size_t>(n)),
                                                              asio::buffer(data.data(), data.size()),
                                                              asio::buffer("\r\n", 2)});
  }
  awaitable<bool> finishChunked() { co_return co_await write("0\r\n\r\n"); }
  // A response head, then `count` bytes of `fd` from `offset` by sendfile(2):
  // the body never passes through user space. Same timeout rule as send().
  awaitable<bool> writeHeadAndFile(std::string_view head, int fd, std::uint64_t offset, std::uint64_t count) {
    if (!ok_) co_return false;
    auto& socket = stream_.socket();
    const int sock = socket.native_handle();
    // MSG_MORE: the head waits for the first body bytes (one segment).
    const ssize_t h = ::send(sock, head.data(), head.size(), MSG_MORE | MSG_NOSIGNAL);
    if (h < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      ok_ = false;
      co_return false;
    }
    const std::size_t headSent = h > 0 ? static_cast<std::size_t>(h) : 0;
    if (headSent < head.size() && !co_await write(head.substr(headSent))) co_return false;
    off_t off = static_cast<off_t>(offset);
    std::uint64_t left = count;
    // The same budget the buffered path gives a body: the write timeout per
    // 64 KiB chunk, so a client that reads a trickle cannot hold it longer.
    const auto deadline = std::chrono::steady_clock::now() + timeout_ * (1 + count / kChunkBytes);
    while (left > 0) {
      const ssize_t n = ::sendfile(sock, fd, &off, static_cast<std::size_t>(std::min<std::uint64_t>(left, 1u << 30)));
      if (n > 0) {
        left -= static_cast<std::uint64_t>(n);
        counters_.bytesToClients.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
        requestBodyBytes_ += static_cast<std::uint64_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {  // file shorter than promised, or a socket error
        ok_ = false;
        co_return false;
      }
      // Socket buffer full: wait until writable, at most the write timeout.
      error_code ec;
      auto finished = std::make_shared<bool>(false);
      asio::steady_timer timer(socket.get_executor());
      if (std::chrono::steady_clock::now() >= deadline) {
        ok_ = false;
        co_return false;
      }
      timer.expires_at(deadline);
      timer.async_wait([&socket, finished](error_code e) {
        if (!e && !*finished) {
          error_code ignored;
          socket.cancel(ignored);
        }
      });
      co_await socket.async_wait(tcp::socket::wait_write, ecToken(ec));
      *finished = true;
      timer.cancel();
      if (ec) {
        ok_ = false;
        co_return false;
      }
    }
    co_return true;
  }
  // A response head and (the first part of) its Content-Length body in one
  // gathered write: one syscall, one TCP segment for a small hit.
  awaitable<bool> writeHeadAndBody(std::string_view head, std::string_view body) {
    counters_.bytesToClients.fetch_add(body.size(), std::memory_order_relaxed);
    requestBodyBytes_ += body.size();
    co_return co_await send(std::array<asio::const_buffer, 2>{asio::buffer(head.data(), head.size()),
                                                              asio::buffer(body.data(), body.size())});
  }

 private:
  // Writes everything. First one non-blocking sendmsg: when the socket
  // buffer takes it all (the usual case for a hit) no timer is armed and no
  // completion is queued. Only a remainder goes through the timed async
  // write. `bufs` must stay alive across the co_await (it is a parameter,
  // so it lives in this coroutine's frame).
  template <std::size_t N>
  awaitable<bool> send(std::array<asio::const_buffer, N> bufs) {
    if (!ok_) co_return false;
    error_code ec;
    const std::size_t total = asio::buffer_size(bufs);
    const std::size_t n = stream_.socket().write_some(bufs, ec);
    if (!ec && n == total) co_return true;
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      ok_ = false;
      co_return false;
    }
    std::size_t skip = ec ? 0 : n;
    for (auto& b : bufs) {  // drop what went out
      const std::size_t k = std::min(skip, b.size());
      b += k;
      skip -= k;
    }
    ec = {};
    stream_.expires_after(timeout_);
    co_await asio::async_write(stream_, bufs, ecToken(ec));
    if (ec) ok_ = false;
    co_return ok_;
  }

  beast::tcp_stream& stream_;
  std::chrono::milliseconds timeout_;
  ProxyCounters& counters_;
  bool ok_ = true;
  ResponseOutcome outcome_ = ResponseOutcome::kError;
  std::uint64_t requestBodyBytes_ = 0;
};

// Ends a collapsed fetch exactly once: early, as soon as the object is
// committed (waiters then read it from the store while the leader is still
// writing its last bytes), or at scope exit on any other path.
struct FinishGuard {
  FetchCollapser* collapser = nullptr;
  std::uint64_t key = 0;
  void release() {
    if (collapser) std::exchange(collapser, nullptr)->finish(key);
  }
  ~FinishGuard() { release(); }
};

// Per-connection state the drain logic needs (touched only on the session's thread).
struct SessionHandle {
  asio::any_io_executor executor;
  beast::tcp_stream* stream = nullptr;
  bool idle = false;
  bool alive = true;
};

std::string toString(beast::string_view s) { return std::string(s.data(), s.size()); }

// The request-read deadline. beast::tcp_stream's own timeout closes the
// socket, which would leave no way to answer 408; this one only cancels the
// pending read. Shared with the timer's handler, which runs on the session's
// thread and acts only if the read it was armed for is still the current one.
struct ReadDeadline {
  explicit ReadDeadline(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  tcp::socket* socket = nullptr;  // null once the session ends
  std::uint64_t generation = 0;
  bool fired = false;

  static void arm(const std::shared_ptr<ReadDeadline>& d, std::chrono::milliseconds after) {
    d->fired = false;
    const std::uint64_t gen = ++d->generation;
    d->timer.expires_after(after);
    d->timer.async_wait([d, gen](const error_code& ec) {
      if (ec || d->generation != gen || d->socket == nullptr) return;
      d->fired = true;
      error_code ignored;
      d->socket->cancel(ignored);
    });
  }
  void disarm() {
    ++generation;
    timer.cancel();
  }
};

}  // namespace

struct ProxyServer::Impl {
  static std::vector<std::unique_ptr<asio::io_context>> makeContexts(unsigned n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (unsigned i = 0; i < std::max(1u, n); ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }
  Impl(ProxyConfig c, CacheIndex& i, AccessLog* log)
      : config(std::move(c)), index(i), accessLog(log), iocs(makeContexts(config.threads)), ioc(*iocs.front()) {
    acceptor.emplace(ioc);
    signals.emplace(ioc);
  }
  // Pending coroutine frames (sessions, refreshes) are destroyed with their
  // io_context; their destructors use the pools, collapser and counters, so
  // the io_contexts go first, after the I/O objects that refer to them.
  // Context 0 goes first: its accept loop may hold a not-yet-accepted socket
  // of another context; every other frame only holds sockets of its own.
  ~Impl() {
    stopAll();
    for (auto& t : threads) {
      if (t.joinable()) t.join();
    }
    stopped.store(true);  // collapse notifications no longer post to a dying io_context
    acceptor.reset();
    signals.reset();
    for (auto& p : pools) p->close();  // idle sockets must die before their io_context
    for (auto& c : iocs) c.reset();
  }

  void stopAll() {
    for (auto& c : iocs) {
      if (c) c->stop();
    }
  }
  // The origin pool of the calling I/O thread: each thread runs one
  // io_context and keeps its own pool, so an origin socket is only ever used
  // by the thread whose reactor owns it.
  OriginPool& pool() const noexcept { return *tlsPool; }
  static thread_local OriginPool* tlsPool;

  ProxyConfig config;
  CacheIndex& index;
  BodyStore* store = nullptr;  // set by the owner through the index's store (see start)
  AccessLog* accessLog;
  ProxyCounters counters;
  ProxyInstruments instruments;
  std::vector<std::unique_ptr<OriginPool>> pools;  // one per I/O thread (tlsPool)
  FetchCollapser collapser;
  // One io_context per I/O thread, each run by that thread alone: no
  // scheduler lock handoffs (futex) between threads on every completion.
  // Context 0 also runs the acceptor, signals, drain and refreshes.
  std::vector<std::unique_ptr<asio::io_context>> iocs;
  asio::io_context& ioc;
  std::atomic<std::size_t> nextContext{0};
  std::optional<tcp::acceptor> acceptor;
  std::optional<asio::signal_set> signals;
  bool signalsWanted = false;
  std::atomic<bool> draining{false};
  std::atomic<bool> stopped{false};
  std::mutex sessionsMutex;
  std::uint64_t nextSessionId = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionHandle>> sessions;
  std::vector<std::thread> threads;
  std::uint16_t boundPort = 0;
  std::vector<std::string> allowedAuthorities;  // absolute-form targets we accept

  HttpTime now() const { return configNow(config); }
  double nowSeconds() const { return static_cast<double>(now().time_since_epoch().count()); }

  // ---------------------------------------------------------------- accept
  awaitable<void> acceptLoop() {
    for (;;) {
      error_code ec;
      // Connections are spread over the contexts round robin; a session
      // then runs on its context's single thread (no strand needed).
      auto& target = *iocs[nextContext.fetch_add(1, std::memory_order_relaxed) % iocs.size()];
      tcp::socket socket(target);
      co_await acceptor->async_accept(socket, ecToken(ec));
      if (ec) {
        if (ec == asio::error::operation_aborted || draining.load()) co_return;
        // EMFILE and friends: back off briefly instead of spinning.
        asio::steady_timer t(ioc, std::chrono::milliseconds(20));
        co_await t.async_wait(ecToken(ec));
        continue;
      }
      if (counters.activeConnections.load() >= config.maxConnections) {
        // Over the limit: a 503 written without waiting (a fresh socket's
        // send buffer always has room for it), then close. The accept loop
        // never parks on a refused client. A client that had already sent
        // its request may see the close as a reset instead.
        counters.connectionsRefused.fetch_add(1);
        static constexpr std::string_view k503 =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 26\r\n"
            "Retry-After: 1\r\nConnection: close\r\n\r\ntoo many open connections\n";
        socket.non_blocking(true, ec);
        if (!ec) socket.write_some(asio::buffer(k503.data(), k503.size()), ec);
        socket.shutdown(tcp::socket::shutdown_send, ec);
        socket.close(ec);
        continue;
      }
      // Responses go out as a head write then body writes; with Nagle on,
      // the second small write of a keep-alive response waits for the
      // client's delayed ACK (~40 ms per response on Linux).
      socket.set_option(tcp::no_delay(true), ec);
      counters.activeConnections.fetch_add(1);
      auto executor = socket.get_executor();
      asio::co_spawn(executor, session(std::move(socket)), [this](std::exception_ptr e) {
        counters.activeConnections.fetch_sub(1);
        if (e) logLine("session ended by an exception");
      });
    }
  }

  // --------------------------------------------------------------- session
  awaitable<void> session(tcp::socket socket) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    auto handle = std::make_shared<SessionHandle>();
    handle->executor = co_await asio::this_coro::executor;
    handle->stream = &stream;
    std::uint64_t sessionId;
    {
      std::lock_guard lock(sessionsMutex);
      sessionId = nextSessionId++;
      sessions.emplace(sessionId, handle);
    }
    error_code nbError;
    stream.socket().non_blocking(true, nbError);  // ClientWriter's first, speculative write never waits
    ClientWriter client(stream, config.writeTimeout, counters);
    auto deadline = std::make_shared<ReadDeadline>(handle->executor);
    deadline->socket = &stream.socket();
    bool first = true;
    bool linger = false;  // we refused a request: the client may still be sending
    for (;;) {
      if (draining.load()) break;
      http::request_parser<http::string_body> parser;
      parser.header_limit(config.maxHeaderBytes);
      parser.body_limit(config.maxBodyBytes);
      error_code ec;
      if (buffer.size() == 0) {
        // Waiting for the first byte of a request: the idle keep-alive
        // timeout (the request timeout on a new connection). Running out of
        // it closes silently: no request has started, so nothing is owed.
        handle->idle = true;
        stream.expires_after(first ? config.requestTimeout : config.idleTimeout);
        const std::size_t n = co_await stream.async_read_some(buffer.prepare(4096), ecToken(ec));
        buffer.commit(n);
        handle->idle = false;
        if (ec) break;
      }
      // From the first byte on, the whole head (and body, below) must
      // arrive within the request timeout, however it trickles in
      // (slowloris): a timeout here is a 408.
      stream.expires_never();
      // A head already complete in the buffer (the usual keep-alive case)
      // parses without I/O: no deadline (and no timer syscalls) needed.
      const std::string_view buffered(static_cast<const char*>(buffer.data().data()), buffer.size());
      const bool headBuffered = buffered.find("\r\n\r\n") != std::string_view::npos;
      if (!headBuffered) ReadDeadline::arm(deadline, config.requestTimeout);
      co_await http::async_read_header(stream, buffer, parser, ecToken(ec));
      if (!headBuffered && !(ec && deadline->fired)) deadline->disarm();
      if (ec) {
        if (deadline->fired) {
          co_await sendSimple(client, 408, "request head not received within the request timeout\n", true, nullptr);
          linger = true;
          break;
        }
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset) {
          break;
        }
        // A Content-Length above the body limit fails here, at the head (Beast
        // checks it there): 413 before any of the body, and before a 100.
        if (ec == http::error::body_limit) {
          co_await sendSimple(client, 413, "request body too large\n", true, nullptr);
          linger = true;
          break;
        }
        const int status = ec == http::error::header_limit ? 431 : 400;
        co_await sendSimple(client, status, "bad request: " + ec.message() + "\n", true, nullptr);
        linger = true;
        break;
      }
      first = false;
      counters.requests.fetch_add(1, std::memory_order_relaxed);
      auto& msg = parser.get();
      ClientRequest req;
      req.method = toString(msg.method_string());
      req.target = toString(msg.target());
      req.version = msg.version();
      req.wantsKeepAlive = msg.keep_alive();
      for (const auto& field : msg) req.headers.add(toString(field.name_string()), toString(field.value()));

      const FramingCheck framing = validateRequestFraming(req.headers, req.version < 11);
      if (!framing.ok()) {
        co_await sendSimple(client, framing.errorStatus, framing.reason + "\n", true, nullptr);
        linger = true;
        break;
      }
      if (framing.framing != BodyFraming::kNone && !parser.is_done()) {
        // RFC 9110 §10.1.1: an HTTP/1.0 request's 100-continue is ignored
        // (§15.2: no 1xx ever goes to an HTTP/1.0 client).
        if (req.version >= 11 && req.headers.hasToken("Expect", "100-continue")) {
          co_await client.write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        stream.expires_never();
        ReadDeadline::arm(deadline, config.requestTimeout);
        co_await http::async_read(stream, buffer, parser, ecToken(ec));
        if (!(ec && deadline->fired)) deadline->disarm();
        if (ec) {
          if (ec == http::error::body_limit) {
            co_await sendSimple(client, 413, "request body too large\n", true, nullptr);
          } else if (deadline->fired) {
            co_await sendSimple(client, 408, "request body not received within the request timeout\n", true, nullptr);
          } else if (ec != http::error::end_of_stream &&
                     ec != http::error::partial_message && ec != asio::error::eof) {
            co_await sendSimple(client, 400, "bad request body: " + ec.message() + "\n", true, nullptr);
          }
          linger = true;
          break;
        }
        req.body = std::move(parser.get().body());
      }
      req.headers.remove("Expect");

      bool keepAlive = false;
      if (auto problem = resolveTarget(req); problem.first != 0) {
        co_await sendSimple(client, problem.first, problem.second + "\n", true, nullptr);
        linger = true;
        break;
      }
      client.beginRequest();
      const auto handleStart = std::chrono::steady_clock::now();
      keepAlive = co_await handle_(client, req);
      const auto outcome = static_cast<std::size_t>(client.outcome());
      instruments.responseSeconds[outcome].observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - handleStart).count());
      instruments.servedBytes[outcome].inc(static_cast<double>(client.requestBodyBytes()));
      if (!keepAlive || !req.wantsKeepAlive || !client.ok() || draining.load()) break;
    }
    deadline->socket = nullptr;
    deadline->disarm();
    handle->alive = false;
    {
      std::lock_guard lock(sessionsMutex);
      sessions.erase(sessionId);
    }
    error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (linger) {
      // Closing with unread input makes the kernel send RST, which can
      // destroy our error response before the client reads it: read and
      // discard for a bounded time/size first (a "lingering close").
      stream.expires_after(std::chrono::milliseconds(500));
      std::array<char, 4096> scratch;
      std::size_t total = 0;
      for (;;) {
        const std::size_t n = co_await stream.async_read_some(asio::buffer(scratch), ecToken(ignored));
        total += n;
        if (ignored || total > (1u << 20)) break;
      }
    }
    stream.close();
  }

  // Fills req.host / req.target / req.key; returns (status, reason) when the
  // request must be refused.
  std::pair<int, std::string> resolveTarget(ClientRequest& req) {
    const auto hosts = req.headers.getAll("Host");
    if (hosts.size() > 1) return {400, "more than one Host field"};
    // RFC 9112 §3.2: whatever the target's form, an HTTP/1.1 request without
    // Host, or with an invalid one, is a 400 (absolute-form then overrides it).
    if (hosts.empty() && req.version >= 11) return {400, "missing Host"};
    if (!hosts.empty() && !isValidAuthority(trimOws(hosts.front()))) return {400, "invalid Host"};
    if (req.method == "CONNECT") return {405, "CONNECT is not supported: this is a reverse proxy"};
    std::string_view t = req.target;
    if (!t.empty() && t.front() == '/') {
      if (hosts.empty()) {
        req.host = config.origin.hostPort.authority();
      } else {
        req.host = std::string(trimOws(hosts.front()));
      }
    } else if (t.size() > 7 && (equalsIgnoreCase(t.substr(0, 7), "http://") ||
                                (t.size() > 8 && equalsIgnoreCase(t.substr(0, 8), "https://")))) {
      const std::size_t schemeEnd = t.find("://") + 3;
      const std::size_t pathStart = t.find_first_of("/?", schemeEnd);
      std::string authority = toLowerAscii(t.substr(schemeEnd, pathStart == std::string_view::npos
                                                                   ? std::string_view::npos
                                                                   : pathStart - schemeEnd));
      if (authority.size() > 3 && authority.ends_with(":80")) authority.resize(authority.size() - 3);
      bool allowed = false;
      for (const auto& a : allowedAuthorities) allowed = allowed || a == authority;
      if (!allowed) return {403, "absolute-form target for another host refused: not an open proxy"};
      req.host = authority;
      std::string rest = pathStart == std::string_view::npos ? std::string("/") : std::string(t.substr(pathStart));
      if (rest.front() == '?') rest.insert(rest.begin(), '/');
      req.target = rest;
      req.headers.set("Host", req.host);
    } else if (req.method == "OPTIONS" && t == "*") {
      req.host = hosts.empty() ? config.origin.hostPort.authority() : std::string(trimOws(hosts.front()));
      return {0, {}};
    } else {
      return {400, "unsupported request-target form"};
    }
    if (req.host.empty()) return {400, "empty Host"};
    req.key = cacheKey("http", req.host, req.target);
    return {0, {}};
  }

  // --------------------------------------------------------------- helpers
  // Counts the fetch and times it up to the origin's response head.
  awaitable<OriginFailure> sendToOrigin(OriginExchange& ex, OriginRequest request) {
    counters.originFetches.fetch_add(1, std::memory_order_relaxed);
    const auto start = std::chrono::steady_clock::now();
    const OriginFailure f = co_await ex.send(std::move(request));
    if (f == OriginFailure::kNone)
      instruments.originFetchSeconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    co_return f;
  }

  awaitable<bool> sendSimple(ClientWriter& client, int status, std::string body, bool close, const char* label) {
    if (status >= 400 && status < 500) counters.clientErrors.fetch_add(1, std::memory_order_relaxed);
    HttpHeaders h{{"Content-Type", "text/plain"}, {"Cache-Control", "no-store"}};
    client.noteLabel(label ? label : "");
    const std::string head =
        buildHead(status, h, BodyMode::kLength, body.size(), close || draining.load(), label ? label : "");
    co_await client.write(head + body);
    co_return client.ok() && !close;
  }

  OriginRequest makeOriginRequest(const ClientRequest& req, bool stripConditionals) {
    OriginRequest o;
    o.method = req.method;
    o.target = req.target;
    o.headers = stripHopByHop(req.headers);
    o.headers.remove("Content-Length");
    if (stripConditionals) {
      o.headers.remove("If-None-Match");
      o.headers.remove("If-Modified-Since");
    }
    if (!o.headers.has("Host")) o.headers.add("Host", req.host);
    // received-protocol: the version this hop got (RFC 9110 §7.6.3).
    o.headers.add("Via", req.version >= 11 ? "1.1 edgecache" : "1.0 edgecache");
    o.body = req.body;
    return o;
  }

  void record(std::uint64_t key, std::uint64_t bytes, bool hit) {
    if (accessLog) accessLog->record(Access{key, bytes, hit});
  }

  // ------------------------------------------------------------- dispatch
  awaitable<bool> handle_(ClientWriter& client, ClientRequest& req) {
    if ((req.method == "GET" || req.method == "HEAD") && req.key) co_return co_await cacheable(client, req);
    co_return co_await passThrough(client, req);
  }

  awaitable<bool> cacheable(ClientWriter& client, ClientRequest& req) {
    if (hasOriginOnlyPreconditions(req.headers)) {
      // Only the origin evaluates these (RFC 9111 §4.3.2); a client that
      // sent only-if-cached forbids asking it (§5.2.1.7).
      if (parseRequestCacheControl(req.headers, false).onlyIfCached) {
        co_return co_await sendSimple(client, 504, "only-if-cached: the preconditions need the origin\n", false,
                                      "MISS");
      }
      co_return co_await passThrough(client, req);
    }
    const HttpTime t = now();
    auto stored = index.find(*req.key, req.headers, nowSeconds());
    const ServingDecision d = decideServing(req.method, req.headers, stored.get() ? &stored->response : nullptr, t,
                                            config.rules);
    switch (d.action) {
      case ServingAction::kServeFresh:
      case ServingAction::kServeStale:
      case ServingAction::kServeStaleWhileRevalidate: {
        const bool stale = d.action != ServingAction::kServeFresh;
        if (d.action == ServingAction::kServeStaleWhileRevalidate) spawnRefresh(req, stored);
        // Counted before the bytes go out, so a client that has the response
        // also sees it in the counters (undone if the body turns out bad).
        auto& counter = stale ? counters.staleServed : counters.hits;
        counter.fetch_add(1, std::memory_order_relaxed);
        bool corrupt = false;
        const bool keep = co_await serveStored(&client, req, stored, d.currentAge, stale ? "STALE" : "HIT", corrupt);
        if (!corrupt) {
          record(stored->variantId, stored->bodyBytes, true);
          co_return keep;
        }
        counter.fetch_sub(1, std::memory_order_relaxed);
        co_return co_await fetchMiss(client, req);
      }
      case ServingAction::kGatewayTimeout:
        co_return co_await sendSimple(client, 504, "only-if-cached: not in cache\n", false, "MISS");
      case ServingAction::kRevalidate:
      case ServingAction::kRevalidateOrServeStaleOnError:
        co_return co_await revalidate(&client, req, stored, d);
      case ServingAction::kMiss: break;
    }
    co_return co_await fetchMiss(client, req);
  }

  // Serves a stored response (Age, client conditionals, Range, HEAD).
  // `corrupt` is set (and nothing is written) when the body cannot be read
  // before the head is sent; a failure after that closes the connection.
  awaitable<bool> serveStored(ClientWriter* client, const ClientRequest& req,
                              const std::shared_ptr<const StoredObject>& object, std::chrono::seconds age,
                              std::string_view label, bool& corrupt) {
    corrupt = false;
    if (client) client->noteLabel(label);
    const HttpTime t = now();
    const bool close = !req.wantsKeepAlive || draining.load();
    // The stored fields are used in place: Age (and Content-Range) are
    // substituted while the head is written, not by copying every field.
    const HttpHeaders& h = object->response.headers;
    const std::string ageValue = formatAge(age);
    const int status = object->response.status;
    if (evaluateConditional(req.method, req.headers, status, h, t) == ConditionalResult::kNotModified) {
      co_await client->write(buildHead(304, notModifiedHeaders(object->response.headers, age), BodyMode::kNone, 0,
                                       close, label));
      co_return client->ok() && !close;
    }
    RangeDecision range;
    range.contentLengthBytes = object->bodyBytes;
    if (status == 200) range = evaluateRange(req.method, req.headers, h, object->bodyBytes, t);
    if (range.outcome == RangeOutcome::kUnsatisfiable) {
      co_await client->write(buildHead(416, h, BodyMode::kLength, 0, close, label, ageValue, range.contentRange));
      co_return client->ok() && !close;
    }
    std::uint64_t first = 0, count = object->bodyBytes;
    int outStatus = status;
    if (range.outcome == RangeOutcome::kPartial) {
      outStatus = 206;
      first = range.firstByte;
      count = range.lastByte - range.firstByte + 1;
    }
    const std::string_view contentRange =
        range.outcome == RangeOutcome::kPartial ? std::string_view(range.contentRange) : std::string_view();
    if (req.isHead() || count == 0) {
      // RFC 9110 §8.6: a 204 never carries Content-Length.
      const BodyMode mode = outStatus == 204 ? BodyMode::kNone : BodyMode::kHeadLength;
      co_await client->write(buildHead(outStatus, h, mode, count, close, label, ageValue, contentRange));
      co_return client->ok() && !close;
    }
    auto reader = store->openRead(object->body->storeId());
    if (reader && reader.value()->sizeBytes() == object->bodyBytes) {
      if (const int fd = reader.value()->fileDescriptor(); fd >= 0) {
        // In a hot-tier file: head, then the body by sendfile(2).
        co_await client->writeHeadAndFile(
            buildHead(outStatus, h, BodyMode::kLength, count, close, label, ageValue, contentRange), fd, first, count);
        co_return client->ok() && !close;
      }
      if (const std::string* whole = reader.value()->contiguous()) {
        // In memory (hot tier): head and body straight from the shared buffer.
        co_await client->writeHeadAndBody(buildHead(outStatus, h, BodyMode::kLength, count, close, label, ageValue, contentRange),
                                          std::string_view(whole->data() + first, count));
        co_return client->ok() && !close;
      }
    }
    std::vector<char> buf(std::min<std::uint64_t>(kChunkBytes, count));
    Result<std::size_t> got = std::size_t{0};
    if (reader && reader.value()->sizeBytes() == object->bodyBytes) got = reader.value()->read(first, buf);
    if (!reader || reader.value()->sizeBytes() != object->bodyBytes || !got || got.value() == 0) {
      // Detected before anything was sent: drop it and let the caller fetch.
      logLine("dropping unreadable stored object " + object->primaryKey);
      index.dropVariant(*object);
      corrupt = true;
      co_return false;
    }
    const std::string head = buildHead(outStatus, h, BodyMode::kLength, count, close, label, ageValue, contentRange);
    std::uint64_t sent = 0;
    while (client->ok()) {
      const std::size_t n = std::min<std::uint64_t>(got.value(), count - sent);
      if (sent == 0) {
        co_await client->writeHeadAndBody(head, std::string_view(buf.data(), n));
      } else {
        co_await client->writeBody(std::string_view(buf.data(), n), false);
      }
      sent += n;
      if (sent >= count) break;
      got = reader.value()->read(first + sent, std::span<char>(buf.data(), std::min<std::uint64_t>(buf.size(), count - sent)));
      if (!got || got.value() == 0) {
        // Corrupt mid-stream: the short body and the close tell the client.
        logLine("stored object failed mid-stream, dropped: " + object->primaryKey);
        index.dropVariant(*object);
        co_return false;
      }
    }
    co_return client->ok() && !close;
  }

  struct StreamResult {
    bool keepAlive = false;
    std::uint64_t bodyBytes = 0;
    bool stored = false;
  };

  // Relays an origin response whose head has arrived: to the client (when
  // `client`), and into the store when storable. `conditionalsStripped`:
  // the client's If-None-Match/If-Modified-Since were removed from the
  // origin request, so they are evaluated here against the new response.
  awaitable<StreamResult> streamResponse(ClientWriter* client, const ClientRequest& req, OriginExchange& ex,
                                         HttpTime requestTime, bool allowStore, bool conditionalsStripped,
                                         std::string_view label, FinishGuard* collapse = nullptr) {
    StreamResult result;
    if (client) client->noteLabel(label);
    const HttpTime responseTime = now();
    const int status = ex.status();
    HttpHeaders respHeaders = stripHopByHop(ex.headers());
    // RFC 9110 §6.6.1: a recipient that caches or forwards a response without
    // Date adds one with the receipt time. Stored copies then carry the
    // date_value the Age calculation already assumed, and every hit has a Date.
    if (!respHeaders.has("Date")) respHeaders.add("Date", formatHttpDate(responseTime));
    std::unique_ptr<BodyStore::Writer> writer;
    std::uint64_t storeId = 0;
    if (allowStore && req.key && req.method == "GET") {
      const Storability s =
          evaluateStorability(req.method, req.headers, status, respHeaders, ex.contentLength(), config.rules);
      if (s.storable) {
        storeId = index.newStoreId();
        auto w = store->beginWrite(storeId);
        if (w) writer = std::move(w).value();
      }
    }
    const bool close = !req.wantsKeepAlive || draining.load();
    const bool noBody = req.isHead() || status == 204 || status == 304 || status < 200;
    BodyMode mode = BodyMode::kNone;
    std::uint64_t length = 0;
    if (noBody) {
      if (req.isHead() && ex.contentLength()) {
        mode = BodyMode::kHeadLength;
        length = *ex.contentLength();
      }
    } else if (ex.contentLength()) {
      mode = BodyMode::kLength;
      length = *ex.contentLength();
    } else if (req.version >= 11) {
      mode = BodyMode::kChunked;
    } else {
      mode = BodyMode::kUntilClose;
    }
    bool clientWantsBody = client != nullptr && !noBody;
    if (client) {
      if (conditionalsStripped && status == 200 &&
          evaluateConditional(req.method, req.headers, status, respHeaders, responseTime) ==
              ConditionalResult::kNotModified) {
        co_await client->write(buildHead(304, notModifiedHeaders(respHeaders, std::nullopt), BodyMode::kNone, 0,
                                         close, label));
        clientWantsBody = false;
      } else {
        co_await client->write(buildHead(status, respHeaders, mode, length, close || mode == BodyMode::kUntilClose,
                                         label));
      }
    }
    // Read the body when someone needs it; otherwise leave it (the origin
    // connection is then closed instead of pooled).
    // Commits and indexes the stored copy; called as soon as the origin body
    // is complete and BEFORE its last bytes go to the client, so a client
    // that has the whole response can rely on the next request hitting.
    auto commit = [&]() {
      auto object = std::make_shared<StoredObject>();
      object->primaryKey = *req.key;
      object->bodyBytes = result.bodyBytes;
      object->response.status = status;
      object->response.headers = respHeaders;
      object->response.headers.remove("Content-Length");
      object->response.requestTime = requestTime;
      object->response.responseTime = responseTime;
      object->response.varyKey = varyKey(respHeaders, req.headers);
      object->varyNames = varyFieldNames(respHeaders);
      object->variantId = variantHash(object->primaryKey, object->response.varyKey);
      if (writer->commit(encodeStoredObject(*object))) {
        object->body = index.adoptBody(storeId);
        if (index.insert(object, nowSeconds())) {
          result.stored = true;
          counters.stored.fetch_add(1, std::memory_order_relaxed);
        }
      } else {
        writer->abort();
        (void)store->erase(storeId);
      }
      writer.reset();
      if (collapse) collapse->release();
    };
    std::vector<char> buf;
    bool originOk = true;
    while (!ex.bodyDone() && (writer || (clientWantsBody && client->ok()))) {
      if (buf.empty()) buf.resize(kChunkBytes);
      std::size_t got = 0;
      const OriginFailure f = co_await ex.readBody(buf.data(), buf.size(), got);
      if (f != OriginFailure::kNone) {
        counters.originErrors.fetch_add(1, std::memory_order_relaxed);
        originOk = false;
        break;
      }
      if (got == 0) continue;
      result.bodyBytes += got;
      counters.bytesFromOrigin.fetch_add(got, std::memory_order_relaxed);
      const std::string_view chunk(buf.data(), got);
      if (writer) {
        if (config.rules.maxObjectBytes != 0 && result.bodyBytes > config.rules.maxObjectBytes) {
          writer->abort();
          writer.reset();
        } else if (!writer->append(chunk)) {
          writer->abort();
          writer.reset();
        }
        if (writer && ex.bodyDone()) commit();
      }
      if (clientWantsBody && client->ok()) co_await client->writeBody(chunk, mode == BodyMode::kChunked);
    }
    if (client && clientWantsBody && originOk && client->ok() && mode == BodyMode::kChunked) {
      co_await client->finishChunked();
    }
    if (writer && originOk && ex.bodyDone()) {
      commit();  // empty body: the loop did not run
    } else if (writer) {
      writer->abort();
    }
    result.keepAlive = client != nullptr && client->ok() && originOk && !close && mode != BodyMode::kUntilClose;
    if (client && clientWantsBody && !originOk) result.keepAlive = false;  // truncated: the close tells the client
    co_return result;
  }

  awaitable<bool> originFailure(ClientWriter& client, OriginFailure f) {
    counters.originErrors.fetch_add(1, std::memory_order_relaxed);
    const int status = gatewayStatusFor(f);
    co_return co_await sendSimple(client, status, std::string("origin ") + originFailureName(f) + "\n", false, "ERROR");
  }

  // --------------------------------------------------------------- misses
  awaitable<bool> fetchMiss(ClientWriter& client, ClientRequest& req) {
    if (req.method != "GET") co_return co_await passThrough(client, req);
    const bool hasRange = req.headers.has("Range");
    const RequestCacheControl rcc = parseRequestCacheControl(req.headers, config.rules.honorRequestPragmaNoCache);
    const bool collapsible = !hasRange && !rcc.noStore;
    const std::uint64_t ck = primaryHash(*req.key);
    bool leader = false;
    if (collapsible) {
      auto ex = co_await asio::this_coro::executor;
      auto timer = std::make_shared<asio::steady_timer>(ex);
      auto notified = std::make_shared<bool>(false);
      timer->expires_after(config.originConnectTimeout + config.originResponseTimeout + std::chrono::seconds(1));
      leader = collapser.joinOrLead(ck, [this, ex, timer, notified] {
        if (stopped.load()) return;
        asio::post(ex, [timer, notified] {
          *notified = true;
          timer->cancel();
        });
      });
      if (!leader) {
        if (!*notified) {
          error_code ec;
          co_await timer->async_wait(ecToken(ec));
        }
        auto stored = index.find(*req.key, req.headers, nowSeconds());
        const ServingDecision d = decideServing(req.method, req.headers, stored.get() ? &stored->response : nullptr,
                                                now(), config.rules);
        if (stored && (d.action == ServingAction::kServeFresh || d.action == ServingAction::kServeStale ||
                       d.action == ServingAction::kServeStaleWhileRevalidate)) {
          counters.collapsed.fetch_add(1, std::memory_order_relaxed);
          counters.hits.fetch_add(1, std::memory_order_relaxed);
          bool corrupt = false;
          const bool keep = co_await serveStored(&client, req, stored, d.currentAge, "COLLAPSED", corrupt);
          if (!corrupt) {
            record(stored->variantId, stored->bodyBytes, true);
            co_return keep;
          }
          counters.collapsed.fetch_sub(1, std::memory_order_relaxed);
          counters.hits.fetch_sub(1, std::memory_order_relaxed);
        }
        // The leader's response was not reusable for us: fetch on our own.
      }
    }
    FinishGuard guard{leader ? &collapser : nullptr, ck};

    counters.misses.fetch_add(1, std::memory_order_relaxed);
    OriginExchange ex(pool());
    const HttpTime requestTime = now();
    const OriginFailure f = co_await sendToOrigin(ex, makeOriginRequest(req, !hasRange));
    if (f != OriginFailure::kNone) co_return co_await originFailure(client, f);
    const StreamResult r = co_await streamResponse(&client, req, ex, requestTime, true, !hasRange, "MISS", &guard);
    record(r.stored ? variantHash(*req.key, varyKey(ex.headers(), req.headers)) : ck, r.bodyBytes, false);
    co_return r.keepAlive;
  }

  // --------------------------------------------------------- revalidation
  // Conditional request for a stored response. `client` null: background
  // refresh (stale-while-revalidate), nothing is sent anywhere.
  awaitable<bool> revalidate(ClientWriter* client, ClientRequest& req, std::shared_ptr<const StoredObject> stored,
                             const ServingDecision& d) {
    const bool staleOnError = d.action == ServingAction::kRevalidateOrServeStaleOnError;
    OriginRequest o = makeOriginRequest(req, false);
    o.method = "GET";
    o.headers = buildRevalidationRequest(o.headers, stored->response.headers);
    OriginExchange ex(pool());
    const HttpTime requestTime = now();
    const OriginFailure f = co_await sendToOrigin(ex, o);
    auto serveStale = [&]() -> awaitable<bool> {
      // Not d.currentAge: the origin may have taken up to its timeout to
      // fail, and Age is the age at the time of sending (RFC 9111 §4.2.3).
      const StoredResponse& sr = stored->response;
      const auto age = calculateAge(sr.headers, sr.requestTime, sr.responseTime, now()).currentAge;
      bool corrupt = false;
      const bool keep = co_await serveStored(client, req, stored, age, "STALE", corrupt);
      if (corrupt) co_return co_await sendSimple(*client, 502, "origin failed and the stored copy is unreadable\n",
                                                  false, "ERROR");
      counters.staleServed.fetch_add(1, std::memory_order_relaxed);
      record(stored->variantId, stored->bodyBytes, true);
      co_return keep;
    };
    if (f != OriginFailure::kNone) {
      if (!client) co_return false;
      if (staleOnError) {
        counters.originErrors.fetch_add(1, std::memory_order_relaxed);
        co_return co_await serveStale();
      }
      co_return co_await originFailure(*client, f);
    }
    if (ex.status() == 304) {
      const HttpTime responseTime = now();
      if (notModifiedMatchesStored(stored->response.headers, ex.headers(), responseTime)) {
        auto updated = std::make_shared<StoredObject>(*stored);
        updated->response.headers =
            mergeNotModified(stored->response.headers, stripHopByHop(ex.headers()), responseTime);
        updated->response.requestTime = requestTime;
        updated->response.responseTime = responseTime;
        // RFC 9111 §3 holds for the update too. A 304 that brings no-store or
        // private makes the response unfit to keep: it answers this request
        // only. A request that may not have its response stored (no-store,
        // §5.2.1.5; Authorization, §3.5) leaves the stored copy as it was.
        const auto storable = [&](const HttpHeaders& requestHeaders) {
          return evaluateStorability("GET", requestHeaders, updated->response.status, updated->response.headers,
                                     updated->bodyBytes, config.rules)
              .storable;
        };
        if (!storable(HttpHeaders{})) {
          index.dropVariant(*stored);
        } else if (storable(req.headers)) {
          (void)index.replaceMetadata(updated);  // and the store's copy, if still the indexed body
        }
        counters.revalidated.fetch_add(1, std::memory_order_relaxed);
        if (!client) co_return false;
        const auto age = calculateAge(updated->response.headers, requestTime, responseTime, now()).currentAge;
        bool corrupt = false;
        const bool keep = co_await serveStored(client, req, updated, age, "REVALIDATED", corrupt);
        if (!corrupt) {
          record(updated->variantId, updated->bodyBytes, true);
          co_return keep;
        }
      }
      if (!client) co_return false;
      // A 304 for something else, or the body went bad: fetch it whole.
      req.headers.remove("If-None-Match");
      req.headers.remove("If-Modified-Since");
      co_return co_await fetchMiss(*client, req);
    }
    if (isOriginErrorStatus(ex.status()) && staleOnError) {
      if (!client) co_return false;
      co_return co_await serveStale();
    }
    // RFC 9111 §4.3.3: a full response means the stored one is no longer
    // suitable, so it goes now, whether or not the new response is stored
    // (storing it would replace this variant anyway); otherwise max-stale,
    // stale-while-revalidate or stale-if-error could still serve it. A 5xx
    // says no such thing: §4.3.3 lets a cache treat it as no response.
    if (ex.status() < 500) index.dropVariant(*stored);
    counters.misses.fetch_add(1, std::memory_order_relaxed);
    ClientRequest getReq = req;
    if (!client) getReq.method = "GET";
    const StreamResult r = co_await streamResponse(client, getReq, ex, requestTime, true, true, "MISS");
    if (client) record(stored->variantId, r.bodyBytes, false);
    co_return r.keepAlive;
  }

  void spawnRefresh(const ClientRequest& req, std::shared_ptr<const StoredObject> stored) {
    const std::uint64_t key = primaryHash(*req.key);
    if (!collapser.tryLead(key)) return;  // a fetch or refresh is already under way
    ClientRequest copy = req;
    copy.method = "GET";
    copy.body.clear();
    copy.headers.remove("Range");
    copy.headers.remove("If-Range");
    asio::co_spawn(
        asio::make_strand(ioc),
        [this, copy = std::move(copy), stored = std::move(stored), key]() mutable -> awaitable<void> {
          ServingDecision d;
          d.action = ServingAction::kRevalidate;
          (void)co_await revalidate(nullptr, copy, stored, d);
          collapser.finish(key);
        },
        [this, key](std::exception_ptr e) {
          if (e) {
            collapser.finish(key);
            logLine("background refresh ended by an exception");
          }
        });
  }

  // ---------------------------------------------------------- pass through
  awaitable<bool> passThrough(ClientWriter& client, ClientRequest& req) {
    if (applyMaxForwards(req.method, req.headers) == MaxForwardsAction::kAnswerHere) {
      co_return co_await answerAsFinalRecipient(client, req);
    }
    counters.passes.fetch_add(1, std::memory_order_relaxed);
    OriginExchange ex(pool());
    const HttpTime requestTime = now();
    const OriginFailure f = co_await sendToOrigin(ex, makeOriginRequest(req, false));
    if (f != OriginFailure::kNone) co_return co_await originFailure(client, f);
    if (!isSafeMethod(req.method) && req.key) {
      for (const auto& k : keysToInvalidate(req.method, ex.status(), *req.key, ex.headers())) {
        counters.invalidations.fetch_add(index.invalidate(k), std::memory_order_relaxed);
      }
    }
    const StreamResult r = co_await streamResponse(&client, req, ex, requestTime, false, false, "PASS");
    co_return r.keepAlive;
  }

  // A TRACE or OPTIONS whose Max-Forwards ran out here (RFC 9110 §7.6.2):
  // answered as its final recipient. OPTIONS gets a bare 200 (what the
  // origin allows is not known here); TRACE the reflection of §9.3.8.
  awaitable<bool> answerAsFinalRecipient(ClientWriter& client, const ClientRequest& req) {
    const bool close = !req.wantsKeepAlive || draining.load();
    HttpHeaders h{{"Cache-Control", "no-store"}};
    std::string body;
    if (req.method == "TRACE") {
      h.add("Content-Type", "message/http");
      body = traceReflection(req.method, req.target, req.version, req.headers);
    }
    client.noteLabel("");
    co_await client.write(buildHead(200, h, BodyMode::kLength, body.size(), close, "") + body);
    co_return client.ok() && !close;
  }

  // ----------------------------------------------------------------- drain
  awaitable<void> drainWatcher() {
    const auto deadline = std::chrono::steady_clock::now() + config.drainTimeout;
    asio::steady_timer t(ioc);
    for (;;) {
      if (counters.activeConnections.load() == 0 || std::chrono::steady_clock::now() >= deadline) break;
      t.expires_after(std::chrono::milliseconds(20));
      error_code ec;
      co_await t.async_wait(ecToken(ec));
    }
    logLine("drained; stopping");
    stopAll();
  }

  void beginDrain() {
    asio::post(ioc, [this] {
      if (draining.exchange(true)) return;
      logLine("draining: no new connections, finishing in-flight requests");
      error_code ec;
      acceptor->close(ec);
      signals->cancel(ec);
      std::vector<std::shared_ptr<SessionHandle>> handles;
      {
        std::lock_guard lock(sessionsMutex);
        for (auto& [id, w] : sessions) {
          if (auto h = w.lock()) handles.push_back(std::move(h));
        }
      }
      for (auto& h : handles) {
        asio::post(h->executor, [h] {
          if (h->alive && h->idle && h->stream) h->stream->cancel();
        });
      }
      asio::co_spawn(ioc, drainWatcher(), asio::detached);
    });
  }
};

thread_local OriginPool* ProxyServer::Impl::tlsPool = nullptr;

ProxyServer::ProxyServer(ProxyConfig config, CacheIndex& index, AccessLog* accessLog)
    : impl_(std::make_unique<Impl>(std::move(config), index, accessLog)) {}

ProxyServer::~ProxyServer() = default;  // ~Impl stops and joins

cachelib::Status ProxyServer::start() {
  auto& im = *impl_;
  im.store = &im.index.store();
  error_code ec;
  tcp::resolver resolver(im.ioc);
  const auto& ohp = im.config.origin.hostPort;
  auto results = resolver.resolve(ohp.host, std::to_string(ohp.port), ec);
  if (ec || results.empty()) {
    return cachelib::Status::error("origin " + ohp.authority() + ": cannot resolve: " + ec.message());
  }
  OriginPoolConfig pc;
  pc.endpoint = results.begin()->endpoint();
  pc.connectTimeout = im.config.originConnectTimeout;
  pc.responseTimeout = im.config.originResponseTimeout;
  pc.maxIdle = im.config.originMaxIdle;
  pc.maxIdle = std::max<std::size_t>(1, pc.maxIdle / im.iocs.size());
  pc.tls = im.config.origin.scheme == "https";
  pc.tlsHost = ohp.host;
  pc.caFile = im.config.originCaFile;
  for (std::size_t i = 0; i < im.iocs.size(); ++i) {
    im.pools.push_back(std::make_unique<OriginPool>(pc));
    if (auto s = im.pools.back()->prepareTls(); !s) return s;
  }

  const auto& lhp = im.config.listen;
  auto addr = asio::ip::make_address(lhp.host, ec);
  if (ec) {
    auto r = resolver.resolve(lhp.host, std::to_string(lhp.port), ec);
    if (ec || r.empty()) return cachelib::Status::error("listen " + lhp.authority() + ": cannot resolve host");
    addr = r.begin()->endpoint().address();
  }
  const tcp::endpoint ep(addr, lhp.port);
  im.acceptor->open(ep.protocol(), ec);
  if (!ec) im.acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) im.acceptor->bind(ep, ec);
  if (!ec) im.acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return cachelib::Status::error("listen " + lhp.authority() + ": " + ec.message());
  im.boundPort = im.acceptor->local_endpoint().port();

  auto lower = [](std::string s) { return toLowerAscii(s); };
  im.allowedAuthorities = {lower(ohp.authority()), lower(HostPort{lhp.host, im.boundPort}.authority())};
  if (ohp.port == 80) im.allowedAuthorities.push_back(lower(ohp.host));
  im.allowedAuthorities.push_back("localhost:" + std::to_string(im.boundPort));

  if (im.signalsWanted) {
    im.signals->add(SIGINT, ec);
    im.signals->add(SIGTERM, ec);
    im.signals->async_wait([this](const error_code& e, int) {
      if (!e) beginDrain();
    });
  }
  asio::co_spawn(im.ioc, im.acceptLoop(), asio::detached);
  for (std::size_t i = 0; i < im.iocs.size(); ++i) {
    im.threads.emplace_back([&im, i] {
      // sendfile(2) has no MSG_NOSIGNAL: to a client that hung up mid-body
      // it raises SIGPIPE, whose default action kills the process. Blocked
      // here, it stays pending on this thread and sendfile just fails with
      // EPIPE, closing that one connection.
      sigset_t pipe;
      sigemptyset(&pipe);
      sigaddset(&pipe, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
      Impl::tlsPool = im.pools[i].get();
      // Contexts other than 0 may have no connection yet: keep them running.
      auto guard = asio::make_work_guard(*im.iocs[i]);
      for (;;) {
        // A handler that throws (bad_alloc) must not take the server down.
        try {
          im.iocs[i]->run();
          return;
        } catch (const std::exception& e) {
          logLine(std::string("handler threw: ") + e.what());
        }
      }
    });
  }
  return cachelib::Status::ok();
}

std::uint16_t ProxyServer::port() const noexcept { return impl_->boundPort; }
void ProxyServer::handleSignals() { impl_->signalsWanted = true; }
void ProxyServer::beginDrain() { impl_->beginDrain(); }
bool ProxyServer::draining() const noexcept { return impl_->draining.load(); }
const ProxyCounters& ProxyServer::counters() const noexcept { return impl_->counters; }
void ProxyServer::setInstruments(ProxyInstruments instruments) { impl_->instruments = std::move(instruments); }

void ProxyServer::waitStopped() {
  for (auto& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  impl_->threads.clear();
}

}  // namespace edgecache::proxy
