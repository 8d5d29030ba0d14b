#include "proxy/origin_client.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>

namespace edgecache::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

// A plain TCP or a TLS connection to the origin. I/O goes through io(),
// which hands the operation whichever stream this is.
struct OriginConnection {
  OriginConnection(const asio::any_io_executor& ex, asio::ssl::context* tlsContext) {
    if (tlsContext) {
      tls.emplace(ex, *tlsContext);
    } else {
      plain.emplace(ex);
    }
  }
  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }
  template <typename Op>
  auto io(Op&& op) {
    return tls ? op(*tls) : op(*plain);
  }
  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> tls;
  beast::flat_buffer buffer;
};

namespace {

// A deadline for socket operations run from one coroutine: when it fires it
// cancels the socket, so the pending operation completes with
// operation_aborted and the caller reports a timeout. The timer runs on the
// coroutine's executor (its strand), so the handler never races the
// coroutine. A generation number makes a late handler of an earlier arm()
// harmless.
class Deadline {
 public:
  explicit Deadline(asio::any_io_executor ex) : timer_(std::move(ex)), state_(std::make_shared<State>()) {}
  ~Deadline() { disarm(); }
  void arm(tcp::socket& socket, std::chrono::milliseconds after) {
    state_->socket = &socket;
    state_->fired = false;
    const std::uint64_t gen = ++state_->generation;
    timer_.expires_after(after);
    timer_.async_wait([st = state_, gen](error_code ec) {
      if (ec || st->generation != gen || st->socket == nullptr) return;
      st->fired = true;
      error_code ignored;
      st->socket->cancel(ignored);
    });
  }
  // Returns whether it fired since arm().
  bool disarm() {
    ++state_->generation;
    state_->socket = nullptr;
    timer_.cancel();
    return state_->fired;
  }

 private:
  struct State {
    tcp::socket* socket = nullptr;
    bool fired = false;
    std::uint64_t generation = 0;
  };
  asio::steady_timer timer_;
  std::shared_ptr<State> state_;
};

bool isIdempotent(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "OPTIONS" || m == "PUT" || m == "DELETE" || m == "TRACE";
}

OriginFailure classify(const error_code& ec, bool timedOut) {
  if (timedOut) return OriginFailure::kTimeout;
  if (ec == asio::error::eof || ec == http::error::end_of_stream || ec == http::error::partial_message ||
      ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
      ec == asio::error::connection_aborted || ec == asio::error::operation_aborted) {
    return OriginFailure::kReset;
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) return OriginFailure::kProtocol;
  return OriginFailure::kReset;
}

// Whether a pooled connection has nothing waiting on it. Bytes there are a
// response no request asked for (an origin that sent more than its framing
// said): taking them as the answer to the next request would hand one
// client another's response and could poison the cache (RFC 9112 §6.3
// forbids it). EOF is an origin that closed it meanwhile. Either way the
// connection is dropped. One non-blocking peek; bytes already inside a TLS
// stream's own buffer are not seen.
bool idleConnectionClean(OriginConnection& connection) {
  char probe;
  const ssize_t n = ::recv(connection.socket().native_handle(), &probe, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

std::string serializeRequest(const OriginRequest& r) {
  std::string out;
  out.reserve(256 + r.body.size());
  out += r.method;
  out += ' ';
  out += r.target;
  out += " HTTP/1.1\r\n";
  for (const auto& f : r.headers) {
    if (equalsIgnoreCase(f.name, "content-length")) continue;
    out += f.name;
    out += ": ";
    out += f.value;
    out += "\r\n";
  }
  if (!r.body.empty() || r.method == "POST" || r.method == "PUT" || r.method == "PATCH") {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += r.body;
  return out;
}

}  // namespace

int gatewayStatusFor(OriginFailure failure) noexcept {
  switch (failure) {
    case OriginFailure::kNone: return 0;
    case OriginFailure::kConnectTimeout:
    case OriginFailure::kTimeout: return 504;
    default: return 502;
  }
}

const char* originFailureName(OriginFailure failure) noexcept {
  switch (failure) {
    case OriginFailure::kNone: return "none";
    case OriginFailure::kConnectFailed: return "connect_failed";
    case OriginFailure::kConnectTimeout: return "connect_timeout";
    case OriginFailure::kTimeout: return "timeout";
    case OriginFailure::kReset: return "reset";
    case OriginFailure::kProtocol: return "protocol";
    case OriginFailure::kTlsFailed: return "tls_failed";
  }
  return "unknown";
}

OriginPool::OriginPool(OriginPoolConfig config) : config_(std::move(config)) {}
OriginPool::~OriginPool() = default;

cachelib::Status OriginPool::prepareTls() {
  if (!config_.tls) return cachelib::Status::ok();
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1,
                   ec);
  if (config_.caFile.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return cachelib::Status::error("origin TLS: cannot load the system CA store: " + ec.message());
  } else {
    if (std::FILE* f = std::fopen(config_.caFile.c_str(), "rb")) {
      std::fclose(f);
    } else {
      return cachelib::Status::error("origin CA file " + config_.caFile + ": " + std::strerror(errno));
    }
    ctx->load_verify_file(config_.caFile, ec);
    if (ec) return cachelib::Status::error("origin CA file " + config_.caFile + ": no PEM certificate could be loaded");
  }
  ctx->set_verify_mode(asio::ssl::verify_peer, ec);
  tls_ = std::move(ctx);
  return cachelib::Status::ok();
}

std::unique_ptr<OriginConnection> OriginPool::takeIdle() {
  std::lock_guard lock(mutex_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void OriginPool::giveBack(std::unique_ptr<OriginConnection> connection) {
  std::unique_ptr<OriginConnection> drop;
  std::lock_guard lock(mutex_);
  if (closed_ || idle_.size() >= config_.maxIdle) {
    drop = std::move(connection);  // closed outside... (socket close is cheap)
    return;
  }
  idle_.push_back(std::move(connection));
}

void OriginPool::close() {
  std::vector<std::unique_ptr<OriginConnection>> drop;
  std::lock_guard lock(mutex_);
  closed_ = true;
  drop.swap(idle_);
}

std::uint64_t OriginPool::connectsTotal() const noexcept {
  std::lock_guard lock(mutex_);
  return connects_;
}
void OriginPool::noteConnect() noexcept {
  std::lock_guard lock(mutex_);
  ++connects_;
}

struct OriginExchange::Parser {
  Parser(std::uint32_t headerLimitBytes, bool headRequest) : head(headRequest) {
    p.header_limit(headerLimitBytes);
    // Not boost::none: Beast 1.74 compares the length against the empty
    // optional and reports body_limit for every body.
    p.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (head) p.skip(true);
  }
  http::response_parser<http::buffer_body> p;
  std::unique_ptr<Deadline> deadline;
  bool head = false;
};

OriginExchange::OriginExchange(OriginPool& pool) : pool_(pool) {}

OriginExchange::~OriginExchange() {
  if (parser_ && parser_->deadline) (void)parser_->deadline->disarm();
  if (connection_ && !failed_ && parser_ && parser_->p.is_done() && parser_->p.keep_alive() &&
      connection_->buffer.size() == 0) {
    pool_.giveBack(std::move(connection_));
  }
}

bool OriginExchange::bodyDone() const noexcept { return !parser_ || parser_->p.is_done(); }

asio::awaitable<OriginFailure> OriginExchange::send(const OriginRequest& request) {
  bool reused = false;
  bool anyBytes = false;
  OriginFailure f = co_await attempt(request, true, reused, anyBytes);
  if (f != OriginFailure::kNone && reused && !anyBytes && f != OriginFailure::kTimeout &&
      isIdempotent(request.method)) {
    // The idle connection was closed by the origin meanwhile: one retry on a
    // fresh connection.
    f = co_await attempt(request, false, reused, anyBytes);
  }
  if (f != OriginFailure::kNone) failed_ = true;
  co_return f;
}

asio::awaitable<OriginFailure> OriginExchange::attempt(const OriginRequest& request, bool allowReuse, bool& reused,
                                                       bool& anyResponseBytes) {
  auto ex = co_await asio::this_coro::executor;
  const auto& cfg = pool_.config();
  parser_ = std::make_unique<Parser>(cfg.maxResponseHeaderBytes, request.method == "HEAD");
  parser_->deadline = std::make_unique<Deadline>(ex);
  anyResponseBytes = false;
  reused = false;
  connection_.reset();
  if (allowReuse) {
    while ((connection_ = pool_.takeIdle()) && !idleConnectionClean(*connection_)) connection_.reset();
  }
  error_code ec;
  if (connection_) {
    reused = true;
    connection_->buffer.clear();
  } else {
    if (cfg.tls && pool_.tlsContext() == nullptr) co_return OriginFailure::kTlsFailed;  // prepareTls not called
    connection_ = std::make_unique<OriginConnection>(ex, pool_.tlsContext());
    pool_.noteConnect();
    parser_->deadline->arm(connection_->socket(), cfg.connectTimeout);
    co_await connection_->socket().async_connect(cfg.endpoint, asio::redirect_error(asio::use_awaitable, ec));
    bool fired = parser_->deadline->disarm();
    if (ec || fired) {
      connection_.reset();
      co_return fired ? OriginFailure::kConnectTimeout : OriginFailure::kConnectFailed;
    }
    if (connection_->tls) {
      auto& tls = *connection_->tls;
      // SNI, then the chain against the CA store and the certificate's
      // names against the configured origin host (the handshake is within
      // the connect timeout).
      if (!SSL_set_tlsext_host_name(tls.native_handle(), cfg.tlsHost.c_str())) {
        connection_.reset();
        co_return OriginFailure::kTlsFailed;
      }
      tls.set_verify_callback(asio::ssl::host_name_verification(cfg.tlsHost), ec);
      parser_->deadline->arm(connection_->socket(), cfg.connectTimeout);
      co_await tls.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
      fired = parser_->deadline->disarm();
      if (ec || fired) {
        connection_.reset();
        co_return fired ? OriginFailure::kConnectTimeout : OriginFailure::kTlsFailed;
      }
    }
    connection_->socket().set_option(tcp::no_delay(true), ec);
  }
  const std::string wire = serializeRequest(request);
  parser_->deadline->arm(connection_->socket(), cfg.responseTimeout);
  co_await connection_->io([&](auto& stream) {
    return asio::async_write(stream, asio::buffer(wire), asio::redirect_error(asio::use_awaitable, ec));
  });
  if (ec) {
    const bool fired = parser_->deadline->disarm();
    connection_.reset();
    co_return classify(ec, fired);
  }
  // Interim responses (100 Continue, 103 Early Hints, ...) may precede the
  // final one (RFC 9110 §15.2). Each parses as a message of its own: it is
  // read and dropped, and a fresh parser takes the bytes after it. The
  // response deadline covers them all.
  for (;;) {
    co_await connection_->io([&](auto& stream) {
      return http::async_read_header(stream, connection_->buffer, parser_->p,
                                     asio::redirect_error(asio::use_awaitable, ec));
    });
    anyResponseBytes = anyResponseBytes || parser_->p.got_some();
    if (ec) break;
    const unsigned s = parser_->p.get().result_int();
    if (s < 100 || s > 199 || s == 101) break;
    auto deadline = std::move(parser_->deadline);
    parser_ = std::make_unique<Parser>(cfg.maxResponseHeaderBytes, parser_->head);
    parser_->deadline = std::move(deadline);
  }
  const bool fired = parser_->deadline->disarm();
  if (ec) {
    connection_.reset();
    if (fired) co_return OriginFailure::kTimeout;
    if (anyResponseBytes && ec != http::error::end_of_stream && ec != asio::error::eof &&
        ec != asio::error::connection_reset) {
      co_return OriginFailure::kProtocol;
    }
    co_return OriginFailure::kReset;
  }
  const auto& msg = parser_->p.get();
  status_ = static_cast<int>(msg.result_int());
  if (status_ == 101) {
    // Upgrade is hop-by-hop and never forwarded: no switch was asked for.
    connection_.reset();
    co_return OriginFailure::kProtocol;
  }
  headers_ = HttpHeaders{};
  for (const auto& field : msg) {
    headers_.add(std::string_view(field.name_string().data(), field.name_string().size()),
                 std::string_view(field.value().data(), field.value().size()));
  }
  if (!parser_->head && status_ != 204 && status_ != 304 && headers_.has("transfer-encoding")) {
    // Only chunked is decoded here. Any other coding would be relayed still
    // applied (the field itself is hop-by-hop and stripped), or framed
    // otherwise than the origin meant: alongside it Beast trusts a
    // Content-Length, which RFC 9112 §6.3 says Transfer-Encoding overrides.
    // Chunked in an HTTP/1.0 response is faulty framing (§6.1).
    const auto codings = headers_.listMembers("transfer-encoding");
    if (msg.version() < 11 || codings.size() != 1 || !equalsIgnoreCase(codings.front(), "chunked")) {
      connection_.reset();
      co_return OriginFailure::kProtocol;
    }
  }
  if (auto cl = parser_->p.content_length()) contentLength_ = *cl;
  co_return OriginFailure::kNone;
}

asio::awaitable<OriginFailure> OriginExchange::readBody(char* out, std::size_t capacity, std::size_t& got) {
  got = 0;
  if (!parser_ || !connection_ || failed_) co_return OriginFailure::kReset;
  if (parser_->p.is_done()) co_return OriginFailure::kNone;
  auto& body = parser_->p.get().body();
  body.data = out;
  body.size = capacity;
  error_code ec;
  parser_->deadline->arm(connection_->socket(), pool_.config().responseTimeout);
  co_await connection_->io([&](auto& stream) {
    return http::async_read(stream, connection_->buffer, parser_->p, asio::redirect_error(asio::use_awaitable, ec));
  });
  const bool fired = parser_->deadline->disarm();
  if (ec == http::error::need_buffer) ec = {};
  got = capacity - body.size;
  body.data = nullptr;
  body.size = 0;
  if (ec) {
    failed_ = true;
    connection_.reset();
    co_return fired ? OriginFailure::kTimeout : classify(ec, false);
  }
  co_return OriginFailure::kNone;
}

}  // namespace edgecache::proxy
