// End-to-end tests of the data plane over real sockets on 127.0.0.1: a test
// origin (cpp-httplib, in process, ephemeral port) behind a ProxyServer, and
// a raw-socket client that can also send malformed requests.
//
// Time: the proxy and the origin share an injected clock (real time plus an
// offset the test advances), so expiry is tested without sleeping. The only
// real waits are the origin's deliberate slowness (collapsing, timeouts),
// all bounded by the proxy's configured timeouts.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <httplib.h>

#include "cachelib/policy_registry.h"
#include "proxy/body_store.h"
#include "proxy/cache_index.h"
#include "proxy/control_loop.h"
#include "proxy/hot_body_store.h"
#include "proxy/http_date.h"
#include "proxy/object_store_body_store.h"
#include "proxy/metrics.h"
#include "proxy/proxy_admin.h"
#include "proxy/proxy_server.h"
#include "proxy/stored_object.h"
#include "store/object_store.h"
#include "tests/test_support.h"

using namespace edgecache;
using namespace edgecache::proxy;
using namespace std::chrono_literals;

namespace {

// ------------------------------------------------------------------ clock
struct FakeClock {
  std::atomic<long long> offsetSeconds{0};
  HttpTime now() const {
    return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) +
           std::chrono::seconds(offsetSeconds.load());
  }
  void advance(std::chrono::seconds s) { offsetSeconds += s.count(); }
};

// ----------------------------------------------------------------- origin
class TestOrigin {
 public:
  explicit TestOrigin(FakeClock& clock) : clock_(clock) {
    cachedGet("/fresh", "max-age=60", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("fresh body", "text/plain");
    });
    cachedGet("/etag", "max-age=10", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("ETag", "\"v1\"");
      if (req.get_header_value("If-None-Match") == "\"v1\"") {
        res.status = 304;
        return;
      }
      res.set_content("etag body 0123456789", "text/plain");
    });
    cachedGet("/nostore", "no-store", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("secret", "text/plain");
    });
    cachedGet("/vary", "max-age=60", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Vary", "Accept-Language");
      res.set_content("lang=" + req.get_header_value("Accept-Language"), "text/plain");
    });
    svr_.Get("/sie", [this](const httplib::Request& req, httplib::Response& res) {
      count(req);
      dated(res);
      if (failing_.load()) {
        clock_.advance(std::chrono::seconds(failAfterSeconds_.load()));  // a slow failure, without sleeping
        res.status = 503;
        res.set_content("down", "text/plain");
        return;
      }
      res.set_header("Cache-Control", "max-age=1, stale-if-error=600");
      res.set_content("sie body", "text/plain");
    });
    cachedGet("/swr", "max-age=1, stale-while-revalidate=600", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content("swr body " + std::to_string(hitsOf("/swr")), "text/plain");
    });
    svr_.Get("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      count(req);
      std::this_thread::sleep_for(std::chrono::milliseconds(slowMs_.load()));
      dated(res);
      res.set_header("Cache-Control", "max-age=60");
      res.set_content("slow body", "text/plain");
    });
    cachedGet("/big", "max-age=60", [](const httplib::Request& req, httplib::Response& res) {
      // ?n=BYTES sets the size (default 300 KiB).
      const std::size_t n = req.has_param("n") ? std::stoul(req.get_param_value("n")) : 300 * 1024;
      std::string body(n, 'x');
      for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
      res.set_content(body, "application/octet-stream");
    });
    cachedGet(R"(/k/(\d+))", "max-age=600", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::string(1000 + 10 * std::stoi(req.matches[1]), 'k'), "text/plain");
    });
    cachedGet("/host", "max-age=600", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("host=" + req.get_header_value("Host"), "text/plain");
    });
    svr_.Post("/inv", [this](const httplib::Request& req, httplib::Response& res) {
      count(req);
      res.set_content("posted:" + req.body, "text/plain");
    });
    cachedGet("/inv", "max-age=600", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content("inv body " + std::to_string(hitsOf("/inv")), "text/plain");
    });
    // No Date field: the proxy must supply one (RFC 9110 §6.6.1).
    svr_.Get("/nodate", [this](const httplib::Request& req, httplib::Response& res) {
      count(req);
      res.set_header("Cache-Control", "max-age=60");
      res.set_content("nodate body", "text/plain");
    });
    // Validated by ETag; once turnsPrivate_ is set, its 304s carry
    // "Cache-Control: private" (the resource became per-user).
    svr_.Get("/turns-private", [this](const httplib::Request& req, httplib::Response& res) {
      count(req);
      dated(res);
      res.set_header("ETag", "\"p1\"");
      res.set_header("Cache-Control", turnsPrivate_.load() ? "private, max-age=600" : "max-age=10");
      if (req.get_header_value("If-None-Match") == "\"p1\"") {
        res.status = 304;
        return;
      }
      res.set_content("turns-private body", "text/plain");
    });
    // Cacheable until gone_ is set; then a 404 that is not storable (no
    // explicit freshness, no validator).
    svr_.Get("/gone", [this](const httplib::Request& req, httplib::Response& res) {
      count(req);
      dated(res);
      if (gone_.load()) {
        res.status = 404;
        res.set_content("gone", "text/plain");
        return;
      }
      res.set_header("ETag", "\"g1\"");
      res.set_header("Cache-Control", "max-age=1");
      res.set_content("gone body", "text/plain");
    });
    cachedGet("/nocontent", "max-age=60", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    for (int i = 0; i < 500 && !svr_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ~TestOrigin() { stop(); }
  void stop() {
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int hitsOf(const std::string& path) {
    std::lock_guard lock(mutex_);
    return hits_[path];
  }
  std::string lastHeader(const std::string& path, const std::string& name) {
    std::lock_guard lock(mutex_);
    auto it = lastHeaders_[path].find(name);
    return it == lastHeaders_[path].end() ? std::string() : it->second;
  }
  std::atomic<bool> failing_{false};
  std::atomic<int> failAfterSeconds_{0};  // /sie: how long (on the shared clock) a failure takes
  std::atomic<bool> turnsPrivate_{false};
  std::atomic<bool> gone_{false};
  std::atomic<int> slowMs_{300};

 private:
  void count(const httplib::Request& req) {
    std::lock_guard lock(mutex_);
    ++hits_[req.path];
    lastHeaders_[req.path] = req.headers;
  }
  void dated(httplib::Response& res) const { res.set_header("Date", formatHttpDate(clock_.now())); }
  // A GET route that counts the request, dates the response and sets
  // Cache-Control before `fill` writes the rest.
  void cachedGet(const std::string& pattern, std::string cacheControl,
                 std::function<void(const httplib::Request&, httplib::Response&)> fill) {
    svr_.Get(pattern, [this, cacheControl = std::move(cacheControl), fill = std::move(fill)](
                          const httplib::Request& req, httplib::Response& res) {
      count(req);
      dated(res);
      res.set_header("Cache-Control", cacheControl);
      fill(req, res);
    });
  }

  FakeClock& clock_;
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::map<std::string, int> hits_;
  std::map<std::string, httplib::Headers> lastHeaders_;
};

// Appends what one recv(2) on `fd` returns to `buf`; false on EOF, error or
// receive timeout.
bool recvAppend(int fd, std::string& buf) {
  char tmp[65536];
  const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
  if (n <= 0) return false;
  buf.append(tmp, static_cast<std::size_t>(n));
  return true;
}

// A listening TCP socket on 127.0.0.1 at an ephemeral port (stored in
// `port`); returns its descriptor.
int listenOnLoopback(int& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(fd, 16) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  port = ntohs(a.sin_port);
  return fd;
}

// A TCP origin that accepts and immediately resets/closes every connection.
class ResettingOrigin {
 public:
  ResettingOrigin() {
    fd_ = listenOnLoopback(port_);
    thread_ = std::thread([this] {
      for (;;) {
        int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        char buf[1024];
        (void)::recv(c, buf, sizeof buf, 0);  // read the request, then reset
        linger l{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        ::close(c);
      }
    });
  }
  ~ResettingOrigin() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// A TCP origin that answers with exactly the bytes a test scripts, so the
// proxy can be shown responses no well-behaved server sends. Per connection
// it reads one request head (and a Content-Length body) at a time and hands
// it to `respond` with its index on that connection (0 first); the reply's
// pieces are written with a pause between them (so a later piece arrives in
// a later segment), then the connection is closed if asked, else the next
// request is read. Every request received is kept, in order.
class RawOrigin {
 public:
  struct Reply {
    std::vector<std::string> pieces;
    bool close = false;
  };
  using Responder = std::function<Reply(int indexOnConnection, const std::string& request)>;

  explicit RawOrigin(Responder respond) : respond_(std::move(respond)) {
    fd_ = listenOnLoopback(port_);
    acceptor_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::lock_guard lock(mutex_);
        connections_.push_back(c);
        workers_.emplace_back([this, c] { serve(c); });
      }
    });
  }
  ~RawOrigin() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    acceptor_.join();
    std::vector<int> connections;
    std::vector<std::thread> workers;
    {
      std::lock_guard lock(mutex_);  // not held while joining: workers take it
      connections = connections_;
      workers.swap(workers_);
    }
    for (int c : connections) ::shutdown(c, SHUT_RDWR);
    for (auto& w : workers) w.join();
    for (int c : connections) ::close(c);
  }
  int port() const { return port_; }
  std::vector<std::string> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  int connections() {
    std::lock_guard lock(mutex_);
    return static_cast<int>(connections_.size());
  }

 private:
  void serve(int c) {
    std::string buf;
    for (int index = 0;; ++index) {
      std::size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        if (!recvAppend(c, buf)) return;
      }
      std::size_t total = end + 4;
      const std::string head = toLowerAscii(buf.substr(0, end));
      if (const auto cl = head.find("\ncontent-length:"); cl != std::string::npos) {
        total += std::stoul(head.substr(cl + 16));
      }
      while (buf.size() < total) {
        if (!recvAppend(c, buf)) return;
      }
      const std::string request = buf.substr(0, total);
      buf.erase(0, total);
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      const Reply reply = respond_(index, request);
      for (std::size_t i = 0; i < reply.pieces.size(); ++i) {
        if (i > 0) std::this_thread::sleep_for(50ms);
        if (::send(c, reply.pieces[i].data(), reply.pieces[i].size(), MSG_NOSIGNAL) < 0) return;
      }
      if (reply.close) {
        ::shutdown(c, SHUT_WR);
        return;
      }
    }
  }
  Responder respond_;
  int fd_ = -1;
  int port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> connections_;
  std::vector<std::thread> workers_;
  std::vector<std::string> requests_;
};

// A complete 200 response with a Content-Length body, for RawOrigin scripts.
std::string okResponse(const std::string& body, const std::string& extraFields = "") {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extraFields + "\r\n" + body;
}

// A minimal HTTPS origin (Asio + OpenSSL, blocking, one thread, one request
// per connection): GET /tls -> "tls body <n>", Cache-Control: max-age=60.
class TlsOrigin {
 public:
  TlsOrigin(const std::string& certFile, const std::string& keyFile)
      : ctx_(boost::asio::ssl::context::tls_server), acceptor_(ioc_) {
    ctx_.use_certificate_chain_file(certFile);
    ctx_.use_private_key_file(keyFile, boost::asio::ssl::context::pem);
    const boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"), 0);
    acceptor_.open(ep.protocol());
    acceptor_.bind(ep);
    acceptor_.listen();
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TlsOrigin() {
    ::shutdown(acceptor_.native_handle(), SHUT_RDWR);  // unblocks accept()
    thread_.join();
  }
  int port() const { return port_; }
  int requests() const { return requests_.load(); }
  int handshakeFailures() const { return handshakeFailures_.load(); }

 private:
  void serve() {
    for (;;) {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(ioc_);
      acceptor_.accept(socket, ec);
      if (ec) return;
      timeval tv{2, 0};
      ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      boost::asio::ssl::stream<boost::asio::ip::tcp::socket> tls(std::move(socket), ctx_);
      tls.handshake(boost::asio::ssl::stream_base::server, ec);
      if (ec) {
        ++handshakeFailures_;
        continue;
      }
      std::string request;
      boost::asio::read_until(tls, boost::asio::dynamic_buffer(request), "\r\n\r\n", ec);
      if (ec) continue;
      const int n = ++requests_;
      const std::string body = request.starts_with("GET /tls ") ? "tls body " + std::to_string(n) : "nope";
      const std::string response = std::string(body == "nope" ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 200 OK") +
                                   "\r\nCache-Control: max-age=60\r\nContent-Length: " +
                                   std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
      boost::asio::write(tls, boost::asio::buffer(response), ec);
      ::SSL_shutdown(tls.native_handle());  // close_notify, without waiting for the peer's
      tls.next_layer().close(ec);
    }
  }

  boost::asio::io_context ioc_;
  boost::asio::ssl::context ctx_;
  boost::asio::ip::tcp::acceptor acceptor_;
  int port_ = 0;
  std::atomic<int> requests_{0}, handshakeFailures_{0};
  std::thread thread_;
};

// A self-signed certificate + key for `subjectAltName` (openssl CLI), in dir.
void makeSelfSignedCert(const std::filesystem::path& dir, const std::string& name, const std::string& san) {
  const std::string cmd = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=" +
                          name + " -addext subjectAltName=" + san + " -keyout '" + (dir / (name + ".key")).string() +
                          "' -out '" + (dir / (name + ".pem")).string() + "' >/dev/null 2>&1";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "openssl req failed (package openssl): " << cmd);
}

// A port with nothing listening.
int deadPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const int port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

// ------------------------------------------------------------------ proxy
// A directory removed (best effort) when the owner goes away.
struct ScopedDir {
  std::filesystem::path path;
  ~ScopedDir() {
    if (path.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

// A ProxyServer with its index and body store. By default the body store is
// the production one: a RocksDB store::ObjectStore (chunked, checksummed,
// snapshot reads) in a fresh temporary directory per Proxy, so every case
// exercises the same storage path as edgecache-proxy. A test may instead hand
// in its own store (`ownStore`, e.g. makeMemoryBodyStore() when it needs a
// store without disk I/O) or share one across Proxy instances
// (`sharedStore`, restart tests). No case currently needs the in-memory
// store: every one passes against RocksDB.
struct Proxy {
  Proxy(FakeClock& clock, int originPort, std::unique_ptr<BodyStore> ownStore = nullptr,
        BodyStore* sharedStore = nullptr, std::uint64_t capacity = 64ull << 20) {
    if (!sharedStore) {
      if (ownStore) {
        store = std::move(ownStore);
      } else {
        static std::atomic<int> instances{0};
        dir.path = edgecache::testing::tempDir("proxy-e2e-db-" + std::to_string(++instances));
        store::StoreOptions so;
        so.path = (dir.path / "db").string();
        auto opened = store::ObjectStore::open(so);
        REQUIRE_MESSAGE(opened, opened.message());
        db = std::move(opened).value();
        store = makeObjectStoreBodyStore(*db);
      }
      sharedStore = store.get();
    }
    auto created = CacheIndex::create({capacity, 0}, *sharedStore);
    REQUIRE(created);
    index = std::move(created).value();
    rebuild = index->rebuild();
    config.listen = HostPort{"127.0.0.1", 0};
    config.origin.hostPort = HostPort{"127.0.0.1", static_cast<std::uint16_t>(originPort)};
    config.threads = 2;
    config.clock = [&clock] { return clock.now(); };
    config.originConnectTimeout = 500ms;
    config.originResponseTimeout = 500ms;
    config.requestTimeout = 2000ms;
    config.idleTimeout = 2000ms;
    config.drainTimeout = 5000ms;
  }
  void start() {
    server = std::make_unique<ProxyServer>(config, *index, &log);
    auto s = server->start();
    REQUIRE_MESSAGE(s.isOk(), s.message());
  }
  ~Proxy() {
    if (server) {
      server->beginDrain();
      server->waitStopped();
    }
  }
  std::uint16_t port() const { return server->port(); }

  // Declaration order is destruction order reversed: the server goes first,
  // then the index, the adapter, the RocksDB store, and last its directory.
  ScopedDir dir;
  std::unique_ptr<store::ObjectStore> db;
  std::unique_ptr<BodyStore> store;
  std::unique_ptr<CacheIndex> index;
  CacheIndex::RebuildStats rebuild;
  AccessLog log;
  ProxyConfig config;
  std::unique_ptr<ProxyServer> server;
};

// ----------------------------------------------------------------- client
struct RawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names, last wins
  std::string body;
  std::string header(const std::string& n) const {
    auto it = headers.find(n);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
 public:
  explicit Client(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  // Reads one response; nullopt on timeout/close before a full head.
  std::optional<RawResponse> read(bool headRequest = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    RawResponse r;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    std::size_t lineEnd = head.find("\r\n");
    const std::string statusLine = head.substr(0, lineEnd);
    if (statusLine.size() < 12) return std::nullopt;
    r.status = std::stoi(statusLine.substr(9, 3));
    std::size_t pos = lineEnd == std::string::npos ? head.size() : lineEnd + 2;
    while (pos < head.size()) {
      std::size_t e = head.find("\r\n", pos);
      if (e == std::string::npos) e = head.size();
      const std::string line = head.substr(pos, e - pos);
      const auto colon = line.find(':');
      if (colon != std::string::npos) {
        std::string v = line.substr(colon + 1);
        while (!v.empty() && v.front() == ' ') v.erase(0, 1);
        r.headers[toLowerAscii(line.substr(0, colon))] = v;
      }
      pos = e + 2;
    }
    if (r.status == 100) {
      interim.push_back(r.status);
      return read(headRequest);
    }
    if (headRequest || r.status == 204 || r.status == 304 || r.status < 200) return r;
    if (!r.header("content-length").empty()) {
      const std::size_t n = std::stoul(r.header("content-length"));
      while (buf_.size() < n) {
        if (!fill()) return std::nullopt;
      }
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
    } else if (r.header("transfer-encoding") == "chunked") {
      for (;;) {
        while ((end = buf_.find("\r\n")) == std::string::npos) {
          if (!fill()) return std::nullopt;
        }
        const std::size_t size = std::stoul(buf_.substr(0, end), nullptr, 16);
        buf_.erase(0, end + 2);
        while (buf_.size() < size + 2) {
          if (!fill()) return std::nullopt;
        }
        r.body += buf_.substr(0, size);
        buf_.erase(0, size + 2);
        if (size == 0) break;
      }
    } else {
      while (fill()) {
      }
      r.body = std::move(buf_);
      buf_.clear();
    }
    return r;
  }
  // Sends GET `path` on this connection and reads the response; both must
  // succeed.
  RawResponse get(const std::string& path) {
    REQUIRE(send("GET " + path + " HTTP/1.1\r\nHost: example.test\r\n\r\n"));
    auto r = read();
    REQUIRE(r);
    return *r;
  }
  // Statuses of the 100 (Continue) responses read() skipped, in order.
  std::vector<int> interim;
  // True when the peer closed the connection (EOF) within the timeout.
  bool closedByPeer() {
    char c;
    const ssize_t n = ::recv(fd_, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
  }

 private:
  bool fill() { return recvAppend(fd_, buf_); }
  int fd_;
  bool connected_ = false;
  std::string buf_;
};

std::optional<RawResponse> get(int port, const std::string& path, const std::string& extraHeaders = "",
                               const std::string& method = "GET") {
  Client c(port);
  if (!c.connected()) return std::nullopt;
  c.send(method + " " + path + " HTTP/1.1\r\nHost: example.test\r\n" + extraHeaders + "\r\n");
  return c.read(method == "HEAD");
}

// The usual rig: a test origin and a proxy in front of it on one fake clock.
// Tests that configure the proxy (p.config) or the origin first use Rig and
// call p.start() themselves; the others use StartedRig.
struct Rig {
  FakeClock clock;
  TestOrigin origin{clock};
  Proxy p{clock, origin.port()};
};
struct StartedRig : Rig {
  StartedRig() { p.start(); }
};

}  // namespace

TEST_SUITE("proxy e2e") {

TEST_CASE_FIXTURE(StartedRig, "fresh hit is served from the store without contacting the origin") {
  auto r1 = get(p.port(), "/fresh");
  REQUIRE(r1);
  CHECK(r1->status == 200);
  CHECK(r1->body == "fresh body");
  CHECK(r1->header("x-cache") == "MISS");
  clock.advance(5s);
  auto r2 = get(p.port(), "/fresh");
  REQUIRE(r2);
  CHECK(r2->status == 200);
  CHECK(r2->body == "fresh body");
  CHECK(r2->header("x-cache") == "HIT");
  CHECK(std::stoi(r2->header("age")) >= 5);
  CHECK(origin.hitsOf("/fresh") == 1);
  CHECK(p.server->counters().hits.load() == 1);
}

TEST_CASE_FIXTURE(StartedRig, "keep-alive: several requests on one connection") {
  Client c(p.port());
  for (int i = 0; i < 3; ++i) {
    const RawResponse r = c.get("/fresh");
    CHECK(r.status == 200);
    CHECK(r.body == "fresh body");
  }
  CHECK(origin.hitsOf("/fresh") == 1);
}

TEST_CASE_FIXTURE(StartedRig, "max-age expiry leads to revalidation; the origin's 304 refreshes the stored response") {
  auto r1 = get(p.port(), "/etag");
  REQUIRE(r1);
  CHECK(r1->body == "etag body 0123456789");
  clock.advance(20s);
  auto r2 = get(p.port(), "/etag");
  REQUIRE(r2);
  CHECK(r2->status == 200);
  CHECK(r2->header("x-cache") == "REVALIDATED");
  CHECK(r2->body == "etag body 0123456789");
  CHECK(origin.hitsOf("/etag") == 2);
  CHECK(origin.lastHeader("/etag", "If-None-Match") == "\"v1\"");
  // Fresh again after the merge: no third origin request.
  auto r3 = get(p.port(), "/etag");
  REQUIRE(r3);
  CHECK(r3->header("x-cache") == "HIT");
  CHECK(origin.hitsOf("/etag") == 2);
}

TEST_CASE_FIXTURE(StartedRig, "no-store responses are not stored") {
  for (int i = 0; i < 2; ++i) {
    auto r = get(p.port(), "/nostore");
    REQUIRE(r);
    CHECK(r->body == "secret");
    CHECK(r->header("x-cache") == "MISS");
  }
  CHECK(origin.hitsOf("/nostore") == 2);
  CHECK(p.index->snapshot().objects == 0);
}

TEST_CASE_FIXTURE(StartedRig, "Vary selects stored variants by the request's headers") {
  auto en = get(p.port(), "/vary", "Accept-Language: en\r\n");
  auto fr = get(p.port(), "/vary", "Accept-Language: fr\r\n");
  auto en2 = get(p.port(), "/vary", "Accept-Language: en\r\n");
  auto fr2 = get(p.port(), "/vary", "Accept-Language: fr\r\n");
  REQUIRE((en && fr && en2 && fr2));
  CHECK(en->body == "lang=en");
  CHECK(fr->body == "lang=fr");
  CHECK(en2->body == "lang=en");
  CHECK(en2->header("x-cache") == "HIT");
  CHECK(fr2->body == "lang=fr");
  CHECK(fr2->header("x-cache") == "HIT");
  CHECK(origin.hitsOf("/vary") == 2);
}

TEST_CASE_FIXTURE(StartedRig, "client conditional request is answered 304 from the store") {
  REQUIRE(get(p.port(), "/etag"));
  auto r = get(p.port(), "/etag", "If-None-Match: \"v1\"\r\n");
  REQUIRE(r);
  CHECK(r->status == 304);
  CHECK(r->header("etag") == "\"v1\"");
  CHECK(origin.hitsOf("/etag") == 1);
  // On a miss the conditional is evaluated against the fetched response.
  auto m = get(p.port(), "/fresh", "If-None-Match: \"nope\"\r\n");
  REQUIRE(m);
  CHECK(m->status == 200);
}

TEST_CASE_FIXTURE(StartedRig, "Range requests are answered 206/416 from the stored body") {
  REQUIRE(get(p.port(), "/etag"));
  auto r = get(p.port(), "/etag", "Range: bytes=0-3\r\n");
  REQUIRE(r);
  CHECK(r->status == 206);
  CHECK(r->body == "etag");
  CHECK(r->header("content-range") == "bytes 0-3/20");
  auto tail = get(p.port(), "/etag", "Range: bytes=-4\r\n");
  REQUIRE(tail);
  CHECK(tail->status == 206);
  CHECK(tail->body == "6789");
  auto bad = get(p.port(), "/etag", "Range: bytes=100-200\r\n");
  REQUIRE(bad);
  CHECK(bad->status == 416);
  CHECK(bad->header("content-range") == "bytes */20");
  CHECK(origin.hitsOf("/etag") == 1);
}

TEST_CASE_FIXTURE(StartedRig, "HEAD is answered from a stored GET response") {
  REQUIRE(get(p.port(), "/fresh"));
  Client c(p.port());
  c.send("HEAD /fresh HTTP/1.1\r\nHost: example.test\r\n\r\n");
  auto r = c.read(true);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->header("content-length") == "10");
  CHECK(r->header("x-cache") == "HIT");
  // Same connection still usable: no body bytes were sent after the head.
  c.send("GET /fresh HTTP/1.1\r\nHost: example.test\r\n\r\n");
  auto r2 = c.read();
  REQUIRE(r2);
  CHECK(r2->body == "fresh body");
  CHECK(origin.hitsOf("/fresh") == 1);
}

TEST_CASE_FIXTURE(StartedRig, "a successful POST invalidates the stored target") {
  auto a = get(p.port(), "/inv");
  auto b = get(p.port(), "/inv");
  REQUIRE((a && b));
  CHECK(b->header("x-cache") == "HIT");
  Client c(p.port());
  c.send("POST /inv HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\nhello");
  auto post = c.read();
  REQUIRE(post);
  CHECK(post->status == 200);
  CHECK(post->body == "posted:hello");
  auto after = get(p.port(), "/inv");
  REQUIRE(after);
  CHECK(after->header("x-cache") == "MISS");
  CHECK(origin.hitsOf("/inv") == 3);  // GET, POST, GET
}

TEST_CASE_FIXTURE(StartedRig, "stale-if-error: a stale copy answers when the origin errors or is down") {
  REQUIRE(get(p.port(), "/sie"));
  clock.advance(30s);
  origin.failing_ = true;  // 503
  auto r = get(p.port(), "/sie");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "sie body");
  CHECK(r->header("x-cache") == "STALE");
  origin.stop();  // connection refused from now on
  auto down = get(p.port(), "/sie");
  REQUIRE(down);
  CHECK(down->status == 200);
  CHECK(down->body == "sie body");
  // Nothing stored for another URL: a gateway error, quickly.
  auto miss = get(p.port(), "/fresh");
  REQUIRE(miss);
  CHECK(miss->status == 502);
}

TEST_CASE_FIXTURE(StartedRig, "stale-while-revalidate serves stale at once and refreshes in the background") {
  auto first = get(p.port(), "/swr");
  REQUIRE(first);
  clock.advance(10s);
  auto stale = get(p.port(), "/swr");
  REQUIRE(stale);
  CHECK(stale->header("x-cache") == "STALE");
  CHECK(stale->body == first->body);
  // The refresh runs on its own; wait (bounded) for the origin to see it.
  for (int i = 0; i < 200 && origin.hitsOf("/swr") < 2; ++i) std::this_thread::sleep_for(10ms);
  CHECK(origin.hitsOf("/swr") == 2);
}

TEST_CASE_FIXTURE(StartedRig, "only-if-cached with nothing stored is a 504") {
  auto r = get(p.port(), "/fresh", "Cache-Control: only-if-cached\r\n");
  REQUIRE(r);
  CHECK(r->status == 504);
  CHECK(origin.hitsOf("/fresh") == 0);
}

TEST_CASE_FIXTURE(StartedRig, "a response without Date gets one when forwarded and stored (RFC 9110 §6.6.1)") {
  const HttpTime received = clock.now();
  auto miss = get(p.port(), "/nodate");
  REQUIRE(miss);
  CHECK(miss->header("x-cache") == "MISS");
  REQUIRE_FALSE(miss->header("date").empty());
  const auto date = parseHttpDate(miss->header("date"), received);
  REQUIRE(date);
  CHECK(*date >= received);
  CHECK(*date <= clock.now());
  clock.advance(5s);
  auto hit = get(p.port(), "/nodate");
  REQUIRE(hit);
  CHECK(hit->header("x-cache") == "HIT");
  CHECK(hit->header("date") == miss->header("date"));  // the stored Date, not the time of the hit
  CHECK(std::stoi(hit->header("age")) >= 5);
  CHECK(origin.hitsOf("/nodate") == 1);
}

TEST_CASE_FIXTURE(StartedRig, "a 304 that makes the stored response private drops it (RFC 9111 §3, §4.3.4)") {
  auto first = get(p.port(), "/turns-private");
  REQUIRE(first);
  CHECK(first->header("x-cache") == "MISS");
  clock.advance(20s);
  origin.turnsPrivate_ = true;
  // The 304 validates the stored body for this request, which gets it with
  // the updated header fields...
  auto validated = get(p.port(), "/turns-private");
  REQUIRE(validated);
  CHECK(validated->status == 200);
  CHECK(validated->header("x-cache") == "REVALIDATED");
  CHECK(validated->body == "turns-private body");
  CHECK(validated->header("cache-control") == "private, max-age=600");
  // ...but a shared cache must not keep a private response for others.
  CHECK(p.index->snapshot().objects == 0);
  auto next = get(p.port(), "/turns-private");
  REQUIRE(next);
  CHECK(next->header("x-cache") == "MISS");
  CHECK(origin.hitsOf("/turns-private") == 3);
}

TEST_CASE_FIXTURE(StartedRig, "a full response to a revalidation retires the stored one even if not stored (RFC 9111 §4.3.3)") {
  auto first = get(p.port(), "/gone");
  REQUIRE(first);
  CHECK(first->body == "gone body");
  clock.advance(10s);
  origin.gone_ = true;
  auto notFound = get(p.port(), "/gone");
  REQUIRE(notFound);
  CHECK(notFound->status == 404);
  CHECK(p.index->snapshot().objects == 0);
  // A client that accepts any staleness must not get the superseded copy.
  auto stale = get(p.port(), "/gone", "Cache-Control: max-stale\r\n");
  REQUIRE(stale);
  CHECK(stale->status == 404);
  CHECK(stale->header("x-cache") == "MISS");
  CHECK(origin.hitsOf("/gone") == 3);
}

TEST_CASE_FIXTURE(StartedRig, "a 304 answering a no-store or Authorization request leaves the stored response as it was (RFC 9111 §5.2.1.5, §3.5)") {
  std::string requestField;
  SUBCASE("request no-store") { requestField = "Cache-Control: no-store\r\n"; }
  SUBCASE("Authorization") { requestField = "Authorization: Basic dXNlcjpwYXNz\r\n"; }
  REQUIRE(get(p.port(), "/etag"));
  clock.advance(20s);
  auto validated = get(p.port(), "/etag", requestField);
  REQUIRE(validated);
  CHECK(validated->header("x-cache") == "REVALIDATED");
  CHECK(validated->body == "etag body 0123456789");
  // Nothing of that 304 was stored: the copy is still stale.
  auto next = get(p.port(), "/etag");
  REQUIRE(next);
  CHECK(next->header("x-cache") == "REVALIDATED");
  CHECK(origin.hitsOf("/etag") == 3);
}

TEST_CASE_FIXTURE(StartedRig, "only-if-cached with If-Match is a 504, not an origin request (RFC 9111 §5.2.1.7, §4.3.2)") {
  REQUIRE(get(p.port(), "/fresh"));
  // If-Match can only be evaluated by the origin, which the client forbids.
  auto r = get(p.port(), "/fresh", "Cache-Control: only-if-cached\r\nIf-Match: \"x\"\r\n");
  REQUIRE(r);
  CHECK(r->status == 504);
  CHECK(origin.hitsOf("/fresh") == 1);
}

TEST_CASE_FIXTURE(StartedRig, "a stored 204 is served without Content-Length (RFC 9110 §8.6)") {
  auto miss = get(p.port(), "/nocontent");
  REQUIRE(miss);
  CHECK(miss->status == 204);
  CHECK(miss->header("content-length").empty());
  for (const std::string method : {"GET", "HEAD"}) {
    CAPTURE(method);
    auto hit = get(p.port(), "/nocontent", "", method);
    REQUIRE(hit);
    CHECK(hit->status == 204);
    CHECK(hit->header("x-cache") == "HIT");
    CHECK(hit->header("content-length").empty());
  }
  CHECK(origin.hitsOf("/nocontent") == 1);
}

TEST_CASE_FIXTURE(StartedRig, "stale-if-error: Age counts the time spent waiting for the failing origin (RFC 9111 §4.2.3)") {
  REQUIRE(get(p.port(), "/sie"));
  clock.advance(30s);
  origin.failing_ = true;
  origin.failAfterSeconds_ = 100;
  auto r = get(p.port(), "/sie");
  REQUIRE(r);
  CHECK(r->header("x-cache") == "STALE");
  CHECK(std::stoi(r->header("age")) >= 130);
}

TEST_CASE_FIXTURE(Rig, "concurrent misses collapse into one origin fetch") {
  origin.slowMs_ = 300;
  p.config.originResponseTimeout = 3000ms;
  p.start();
  constexpr int kClients = 8;
  std::vector<std::thread> threads;
  std::vector<std::optional<RawResponse>> results(kClients);
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] { results[i] = get(p.port(), "/slow"); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) {
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "slow body");
  }
  CHECK(origin.hitsOf("/slow") == 1);
  CHECK(p.server->counters().collapsed.load() == kClients - 1);
  // In /metrics each request is under exactly one result: 1 miss, the rest
  // collapsed, none also counted as a hit.
  MetricsRegistry registry;
  auto admin = ProxyAdmin::create(*p.index, *p.server, nullptr, "example.test", registry);
  REQUIRE(admin.isOk());
  const std::string text = admin.value()->metricsText();
  CHECK(text.find("edgecache_requests_total{result=\"miss\"} 1\n") != std::string::npos);
  CHECK(text.find("edgecache_requests_total{result=\"collapsed\"} " + std::to_string(kClients - 1) + "\n") !=
        std::string::npos);
  CHECK(text.find("edgecache_requests_total{result=\"hit\"} 0\n") != std::string::npos);
}

TEST_CASE_FIXTURE(StartedRig, "large bodies stream to the client while being stored") {
  auto a = get(p.port(), "/big");
  auto b = get(p.port(), "/big");
  REQUIRE((a && b));
  CHECK(a->body.size() == 300 * 1024);
  CHECK(b->body == a->body);
  CHECK(b->header("x-cache") == "HIT");
  auto mid = get(p.port(), "/big", "Range: bytes=100000-100009\r\n");
  REQUIRE(mid);
  CHECK(mid->body == a->body.substr(100000, 10));
}

TEST_CASE_FIXTURE(Rig, "bodies above max-object-bytes are streamed but not stored") {
  p.config.rules.maxObjectBytes = 100 * 1024;
  p.start();
  auto a = get(p.port(), "/big");
  auto b = get(p.port(), "/big");
  REQUIRE((a && b));
  CHECK(a->body.size() == 300 * 1024);
  CHECK(b->body.size() == 300 * 1024);
  CHECK(origin.hitsOf("/big") == 2);
}

TEST_CASE_FIXTURE(StartedRig, "malformed and smuggling requests get 400/501 and the connection is closed") {
  struct Case {
    const char* name;
    std::string wire;
    int status;
  };
  const std::vector<Case> cases = {
      {"garbage", "GARBAGE\r\n\r\n", 400},
      {"CL and TE", "POST /inv HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400},
      {"duplicate CL", "POST /inv HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
      {"CL list", "POST /inv HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", 400},
      {"bad chunk size", "POST /inv HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
      {"TE not chunked last", "POST /inv HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400},
      {"TE before chunked", "POST /inv HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
       501},
      {"missing Host", "GET /fresh HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET /fresh HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      {"header too large", "GET /fresh HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(40000, 'a') + "\r\n\r\n", 431},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    Client client(p.port());
    client.send(c.wire);
    auto r = client.read();
    REQUIRE(r);
    if (std::string(c.name) == "bad chunk size") {
      CHECK((r->status == 400));
    } else if (std::string(c.name) == "TE before chunked") {
      CHECK((r->status == 501 || r->status == 400));
    } else {
      CHECK(r->status == c.status);
    }
    CHECK(client.closedByPeer());
  }
  CHECK(origin.hitsOf("/inv") == 0);
}

TEST_CASE("origin 1xx interim responses are skipped, not relayed as the final response (RFC 9110 §15.2)") {
  FakeClock clock;
  RawOrigin origin([](int, const std::string& request) {
    if (request.starts_with("GET /switch ")) {
      return RawOrigin::Reply{{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: upgrade\r\n\r\n"}, true};
    }
    return RawOrigin::Reply{{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
                             okResponse("final")}};
  });
  Proxy p(clock, origin.port());
  p.start();
  Client c(p.port());
  for (int i = 0; i < 2; ++i) {  // twice: the connections stay in step
    CAPTURE(i);
    const RawResponse r = c.get("/hints");
    CHECK(r.status == 200);
    CHECK(r.body == "final");
    CHECK(c.interim.empty());
  }
  // The proxy strips Upgrade, so a 101 answers nothing it asked for.
  auto s = get(p.port(), "/switch");
  REQUIRE(s);
  CHECK(s->status == 502);
}

TEST_CASE("an idle origin connection with unread bytes is not reused: no response desync (RFC 9112 §6.3)") {
  FakeClock clock;
  auto served = std::make_shared<std::atomic<int>>(0);
  RawOrigin origin([served](int, const std::string& request) {
    // The first response is followed, once it is complete, by a second one
    // nobody asked for; the proxy must never hand that out as the answer to
    // the next request it sends on that connection.
    if (served->fetch_add(1) == 0) return RawOrigin::Reply{{okResponse("first"), okResponse("smuggled")}};
    return RawOrigin::Reply{{okResponse(request.substr(4, request.find(' ', 4) - 4))}};
  });
  Proxy p(clock, origin.port());
  p.start();
  Client c(p.port());  // one client connection: one I/O thread, one origin pool
  CHECK(c.get("/one").body == "first");
  std::this_thread::sleep_for(200ms);  // the unsolicited bytes reach the idle connection
  const RawResponse r = c.get("/two");
  CHECK(r.status == 200);
  CHECK(r.body == "/two");
  CHECK(origin.connections() == 2);
}

TEST_CASE("origin Transfer-Encoding other than a lone chunked is a 502, never relayed (RFC 9112 §6.1, §6.3)") {
  FakeClock clock;
  const std::map<std::string, std::string> responses = {
      {"/gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b-not-really"},
      {"/gzip-cl", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 4\r\n\r\nabcdEXTRA"},
      {"/gzip-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"},
      {"/chunked-cl", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"},
      {"/http10-chunked", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"},
      {"/ok", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n"},
  };
  RawOrigin origin([&responses](int, const std::string& request) {
    const std::string path = request.substr(4, request.find(' ', 4) - 4);
    return RawOrigin::Reply{{responses.at(path)}, true};
  });
  Proxy p(clock, origin.port());
  p.start();
  for (const auto& [path, wire] : responses) {
    CAPTURE(path);
    auto r = get(p.port(), path);
    REQUIRE(r);
    if (path == "/ok") {
      CHECK(r->status == 200);
      CHECK(r->body == "abcd");
    } else {
      CHECK(r->status == 502);
      CHECK(r->body.find("abcd") == std::string::npos);
    }
  }
}

TEST_CASE_FIXTURE(StartedRig, "Host is required in every HTTP/1.1 request form and must be a valid authority (RFC 9112 §3.2)") {
  const std::string originAuthority = "127.0.0.1:" + std::to_string(origin.port());
  struct Case {
    std::string wire;
    int status;
  };
  const std::vector<Case> cases = {
      {"GET http://" + originAuthority + "/host HTTP/1.1\r\n\r\n", 400},
      {"OPTIONS * HTTP/1.1\r\n\r\n", 400},
      {"GET /host HTTP/1.1\r\nHost: a b\r\n\r\n", 400},
      {"GET /host HTTP/1.1\r\nHost: a/b\r\n\r\n", 400},
      {"GET /host HTTP/1.1\r\nHost: user@a\r\n\r\n", 400},
      {"GET /host HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400},
      {"GET /host HTTP/1.1\r\nHost: a\"b\r\n\r\n", 400},
      {"GET /host HTTP/1.1\r\nHost: [::1\r\n\r\n", 400},
      // Still served: valid authorities, HTTP/1.0 without Host, absolute-form with Host.
      {"GET /host HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200},
      {"GET /host HTTP/1.1\r\nHost: xn--d-0fa.test.:80\r\n\r\n", 200},
      {"GET /host HTTP/1.0\r\n\r\n", 200},
      {"GET http://" + originAuthority + "/host HTTP/1.1\r\nHost: other\r\n\r\n", 200},
  };
  for (const auto& [wire, status] : cases) {
    CAPTURE(wire);
    const int hitsBefore = origin.hitsOf("/host");
    Client c(p.port());
    c.send(wire);
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == status);
    if (status == 400) {
      CHECK(r->header("x-cache").empty());  // the proxy's own answer, not the origin's
      CHECK(c.closedByPeer());
      CHECK(origin.hitsOf("/host") == hitsBefore);
    }
  }
}

TEST_CASE_FIXTURE(StartedRig, "Expect: 100-continue gets a 100 from HTTP/1.1 only, never to an HTTP/1.0 client (RFC 9110 §15.2)") {
  for (const std::string version : {"1.1", "1.0"}) {
    CAPTURE(version);
    Client c(p.port());
    c.send("POST /inv HTTP/" + version + "\r\nHost: example.test\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
    std::this_thread::sleep_for(100ms);  // the proxy reads the head alone
    c.send("abc");
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == "posted:abc");
    CHECK(c.interim == (version == "1.1" ? std::vector<int>{100} : std::vector<int>{}));
  }
}

TEST_CASE_FIXTURE(Rig, "a Content-Length over the body limit is a 413 at once, without a 100 (RFC 9110 §15.5.14)") {
  p.config.maxBodyBytes = 16;
  p.start();
  for (const std::string expect : {"", "Expect: 100-continue\r\n"}) {
    CAPTURE(expect);
    Client c(p.port());
    c.send("POST /inv HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n" + expect + "\r\n");
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == 413);
    CHECK(c.interim.empty());
    CHECK(c.closedByPeer());
  }
  CHECK(origin.hitsOf("/inv") == 0);
}

TEST_CASE("Max-Forwards: TRACE and OPTIONS are decremented, or answered by the proxy at 0 (RFC 9110 §7.6.2)") {
  FakeClock clock;
  RawOrigin origin([](int, const std::string&) { return RawOrigin::Reply{{okResponse("from origin")}}; });
  Proxy p(clock, origin.port());
  p.start();
  auto forwarded = get(p.port(), "/mf", "Max-Forwards: 3\r\n", "OPTIONS");
  REQUIRE(forwarded);
  CHECK(forwarded->body == "from origin");
  REQUIRE(origin.requests().size() == 1);
  CHECK(origin.requests().back().find("\r\nMax-Forwards: 2\r\n") != std::string::npos);

  auto options = get(p.port(), "/mf", "Max-Forwards: 0\r\n", "OPTIONS");
  REQUIRE(options);
  CHECK(options->status == 200);
  CHECK(options->body.empty());
  auto trace = get(p.port(), "/mf", "Max-Forwards: 0\r\nCookie: secret=1\r\nX-Probe: here\r\n", "TRACE");
  REQUIRE(trace);
  CHECK(trace->status == 200);
  CHECK(trace->header("content-type") == "message/http");
  CHECK(trace->body.starts_with("TRACE /mf HTTP/1.1\r\n"));
  CHECK(trace->body.find("X-Probe: here\r\n") != std::string::npos);
  CHECK(trace->body.find("secret") == std::string::npos);  // credentials are not reflected
  CHECK(origin.requests().size() == 1);

  // Other methods are not subject to it.
  auto plain = get(p.port(), "/mf", "Max-Forwards: 0\r\n", "DELETE");
  REQUIRE(plain);
  CHECK(plain->body == "from origin");
  REQUIRE(origin.requests().size() == 2);
  CHECK(origin.requests().back().find("\r\nMax-Forwards: 0\r\n") != std::string::npos);
}

TEST_CASE_FIXTURE(StartedRig, "Via names the protocol version the request was received in (RFC 9110 §7.6.3)") {
  Client c(p.port());
  c.send("GET /host HTTP/1.0\r\nHost: via.test\r\n\r\n");
  REQUIRE(c.read());
  CHECK(origin.lastHeader("/host", "Via") == "1.0 edgecache");
  auto r11 = get(p.port(), "/host?v=11");
  REQUIRE(r11);
  CHECK(origin.lastHeader("/host", "Via") == "1.1 edgecache");
}

TEST_CASE_FIXTURE(StartedRig, "absolute-form requests for another host are refused (no open proxy)") {
  Client c(p.port());
  c.send("GET http://evil.example/fresh HTTP/1.1\r\nHost: evil.example\r\n\r\n");
  auto r = c.read();
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(origin.hitsOf("/fresh") == 0);
  // The configured origin's own authority is accepted.
  Client ok(p.port());
  ok.send("GET http://127.0.0.1:" + std::to_string(origin.port()) + "/fresh HTTP/1.1\r\nHost: x\r\n\r\n");
  auto r2 = ok.read();
  REQUIRE(r2);
  CHECK(r2->status == 200);
}

TEST_CASE_FIXTURE(StartedRig, "the cache key includes scheme and Host (with port): one path, several sites") {
  auto getHost = [&](const std::string& host) {
    Client c(p.port());
    c.send("GET /host HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    auto r = c.read();
    REQUIRE(r);
    CHECK(r->status == 200);
    return *r;
  };
  auto a1 = getHost("a.test");
  CHECK(a1.body == "host=a.test");
  CHECK(a1.header("x-cache") == "MISS");
  auto b1 = getHost("b.test:8080");
  CHECK(b1.body == "host=b.test:8080");
  CHECK(b1.header("x-cache") == "MISS");
  auto b2 = getHost("b.test");  // another port is another site
  CHECK(b2.body == "host=b.test");
  CHECK(b2.header("x-cache") == "MISS");
  CHECK(origin.hitsOf("/host") == 3);
  // Each site gets its own object back; host case and the default port do
  // not split the key (RFC 3986 normalisation).
  auto a2 = getHost("A.Test:80");
  CHECK(a2.body == "host=a.test");
  CHECK(a2.header("x-cache") == "HIT");
  auto b3 = getHost("b.test:8080");
  CHECK(b3.body == "host=b.test:8080");
  CHECK(b3.header("x-cache") == "HIT");
  CHECK(origin.hitsOf("/host") == 3);
  CHECK(p.index->snapshot().objects == 3);
  // Absolute-form for a site that is not the origin: refused, nothing fetched
  // or served from a.test's stored object.
  Client abs(p.port());
  abs.send("GET http://a.test/host HTTP/1.1\r\nHost: a.test\r\n\r\n");
  auto r = abs.read();
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(r->body.find("a.test") == std::string::npos);
  CHECK(origin.hitsOf("/host") == 3);
  // Absolute-form for the origin itself: keyed by the URI's authority, which
  // overrides the Host field (RFC 9112 §3.2.2).
  const std::string originAuthority = "127.0.0.1:" + std::to_string(origin.port());
  Client self(p.port());
  self.send("GET http://" + originAuthority + "/host HTTP/1.1\r\nHost: a.test\r\n\r\n");
  auto s1 = self.read();
  REQUIRE(s1);
  CHECK(s1->body == "host=" + originAuthority);
  CHECK(s1->header("x-cache") == "MISS");
}

TEST_CASE_FIXTURE(Rig, "limits: connections beyond max-connections get 503 and close; the others are served") {
  p.config.maxConnections = 2;
  p.start();
  Client c1(p.port()), c2(p.port());
  // Both admitted (a served request proves the session is running).
  for (Client* c : {&c1, &c2}) {
    const RawResponse r = c->get("/fresh");
    CHECK(r.status == 200);
  }
  Client extra(p.port());
  REQUIRE(extra.connected());  // the kernel accepts; the proxy answers and closes
  auto refused = extra.read();
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->header("connection") == "close");
  CHECK(extra.closedByPeer());
  CHECK(p.server->counters().connectionsRefused.load() == 1);
  // The admitted connections keep working; a freed slot admits a new one.
  const RawResponse again = c1.get("/fresh");
  CHECK(again.status == 200);
  REQUIRE(c2.send("GET /fresh HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n"));
  REQUIRE(c2.read());
  CHECK(c2.closedByPeer());
  std::optional<RawResponse> admitted;
  for (int i = 0; i < 100 && !(admitted && admitted->status == 200); ++i) {  // the slot frees when c2's session ends
    admitted = get(p.port(), "/fresh");
    if (!(admitted && admitted->status == 200)) std::this_thread::sleep_for(10ms);
  }
  REQUIRE(admitted);
  CHECK(admitted->status == 200);
}

TEST_CASE_FIXTURE(Rig, "limits: a slowloris head gets 408 and close at the request timeout; others are served") {
  p.config.requestTimeout = 400ms;
  p.config.idleTimeout = 5000ms;
  p.start();
  const std::string head = "GET /fresh HTTP/1.1\r\nHost: example.test\r\nX-Pad: aaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  Client slow(p.port());
  std::atomic<bool> stop{false};
  const auto t0 = std::chrono::steady_clock::now();
  std::thread dripper([&] {
    // One byte every 40 ms: ~2.5 s for the whole head, far beyond 400 ms,
    // though every gap is well below it.
    for (char ch : head) {
      if (stop.load() || !slow.send(std::string_view(&ch, 1))) return;
      std::this_thread::sleep_for(40ms);
    }
  });
  // Meanwhile other clients are served promptly.
  int served = 0;
  for (int i = 0; i < 5; ++i) {
    const auto s0 = std::chrono::steady_clock::now();
    auto r = get(p.port(), "/fresh");
    if (r && r->status == 200 && std::chrono::steady_clock::now() - s0 < 1000ms) ++served;
  }
  auto r = slow.read();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  stop = true;
  dripper.join();
  CHECK(served == 5);
  REQUIRE(r);
  CHECK(r->status == 408);
  CHECK(elapsed >= 350ms);
  CHECK(elapsed < 1500ms);
  CHECK(slow.closedByPeer());

  SUBCASE("a body that trickles in is a 408 too") {
    Client body(p.port());
    REQUIRE(body.send("POST /inv HTTP/1.1\r\nHost: example.test\r\nContent-Length: 100\r\n\r\nonly part"));
    auto rb = body.read();
    REQUIRE(rb);
    CHECK(rb->status == 408);
    CHECK(body.closedByPeer());
    CHECK(origin.hitsOf("/inv") == 0);
  }
}

TEST_CASE_FIXTURE(Rig, "limits: an idle keep-alive connection is closed at the idle timeout") {
  p.config.idleTimeout = 300ms;
  p.config.requestTimeout = 5000ms;
  p.start();
  Client c(p.port());
  const RawResponse r = c.get("/fresh");
  CHECK(r.status == 200);
  CHECK(r.header("connection") != "close");
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(c.closedByPeer());  // EOF, no response bytes: nothing was requested
  const auto waited = std::chrono::steady_clock::now() - t0;
  CHECK(waited >= 250ms);
  CHECK(waited < 2000ms);
  // A connection that keeps sending requests within the idle timeout stays open.
  Client busy(p.port());
  for (int i = 0; i < 4; ++i) {
    const RawResponse rr = busy.get("/fresh");
    CHECK(rr.status == 200);
    std::this_thread::sleep_for(150ms);
  }
}

TEST_CASE("hot tier over RocksDB: hits from memory, invalidation never serves the old copy") {
  FakeClock clock;
  TestOrigin origin(clock);
  const auto dir = edgecache::testing::tempDir("proxy-e2e-hot");
  ScopedDir cleanup{dir};
  store::StoreOptions so;
  so.path = (dir / "db").string();
  auto db = store::ObjectStore::open(so);
  REQUIRE(db);
  auto bodies = makeObjectStoreBodyStore(*db.value());
  HotTierConfig hotConfig;
  hotConfig.maxObjectBytes = 16ull << 20;  // room for the 8 MiB body below
  HotBodyStore hot(*bodies, hotConfig);
  {
    Proxy p(clock, origin.port(), nullptr, &hot);
    p.start();
    auto miss = get(p.port(), "/inv");
    REQUIRE(miss);
    CHECK(miss->body == "inv body 1");
    for (int i = 0; i < 3; ++i) {  // the first hit fills from RocksDB, the others come from memory
      auto hit = get(p.port(), "/inv");
      REQUIRE(hit);
      CHECK(hit->header("x-cache") == "HIT");
      CHECK(hit->body == "inv body 1");
    }
    CHECK(hot.stats().fills == 1);
    CHECK(hot.stats().hits == 2);
    auto big = get(p.port(), "/big");  // stored by the miss; the ranges below fill, then hit, the hot tier
    auto big2 = get(p.port(), "/big", "Range: bytes=100-109\r\n");
    auto big3 = get(p.port(), "/big", "Range: bytes=100-109\r\n");
    REQUIRE((big && big2 && big3));
    CHECK(big3->status == 206);
    CHECK(big3->body == "wxyzabcdef");
    CHECK(big2->status == 206);
    CHECK(big2->body == "wxyzabcdef");
    // The whole 300 KiB body from the hot tier's file, by sendfile.
    auto big4 = get(p.port(), "/big");
    REQUIRE(big4);
    CHECK(big4->header("x-cache") == "HIT");
    REQUIRE(big->body.size() == 300 * 1024);
    CHECK(big4->body == big->body);
    CHECK(hot.stats().fills == 2);
    CHECK(hot.stats().hits == 4);

    // Clients that hang up while a body goes out by sendfile(2) (wrk does
    // this at the end of every run). The 8 MiB body is more than a socket
    // buffer holds, so sendfile waits for room; the client half-closes
    // after the request, reads a little, then closes with unread data: an
    // RST to a socket in CLOSE_WAIT, so the next sendfile fails with EPIPE.
    // That raised SIGPIPE and killed the whole process; now it closes one
    // connection.
    const std::string hugePath = "/big?n=8388608";
    auto huge = get(p.port(), hugePath);
    auto hugeHit = get(p.port(), hugePath);
    REQUIRE((huge && hugeHit));
    CHECK(hugeHit->header("x-cache") == "HIT");
    REQUIRE(huge->body.size() == 8388608);
    // The test process ignores SIGPIPE (cpp-httplib sets that); the proxy
    // binary does not, so restore the default action while clients hang up.
    struct DefaultSigpipe {
      void (*old)(int) = std::signal(SIGPIPE, SIG_DFL);
      ~DefaultSigpipe() { std::signal(SIGPIPE, old); }
    } defaultSigpipe;
    for (int i = 0; i < 20; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      REQUIRE(fd >= 0);
      const int small = 4096;
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(static_cast<std::uint16_t>(p.port()));
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
      const std::string req = "GET " + hugePath + " HTTP/1.1\r\nHost: example.test\r\n\r\n";
      REQUIRE(::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size()));
      ::shutdown(fd, SHUT_WR);
      char some[512];
      CHECK(::recv(fd, some, sizeof some, 0) > 0);
      ::close(fd);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto survived = get(p.port(), hugePath);
    REQUIRE(survived);
    CHECK(survived->body == huge->body);

    Client post(p.port());
    REQUIRE(post.send("POST /inv HTTP/1.1\r\nHost: example.test\r\nContent-Length: 1\r\n\r\nx"));
    REQUIRE(post.read());
    auto after = get(p.port(), "/inv");
    REQUIRE(after);
    CHECK(after->header("x-cache") == "MISS");
    CHECK(after->body == "inv body 3");
    auto again = get(p.port(), "/inv");
    REQUIRE(again);
    CHECK(again->body == "inv body 3");
  }
}

TEST_CASE("https origin: TLS with a verified certificate; untrusted or misnamed certificates are a 502") {
  FakeClock clock;
  const auto dir = edgecache::testing::tempDir("proxy-e2e-tls");
  ScopedDir cleanup{dir};
  makeSelfSignedCert(dir, "origin", "IP:127.0.0.1");     // what the origin presents
  makeSelfSignedCert(dir, "stranger", "IP:127.0.0.1");   // a CA the proxy is told to trust instead
  makeSelfSignedCert(dir, "misnamed", "DNS:other.test");  // trusted, but for another name
  auto start = [&](TlsOrigin& origin, const std::string& ca) {
    auto p = std::make_unique<Proxy>(clock, origin.port());
    p->config.origin.scheme = "https";
    p->config.originCaFile = (dir / ca).string();
    p->start();
    return p;
  };
  SUBCASE("verified: fetched over TLS, then cached") {
    TlsOrigin origin((dir / "origin.pem").string(), (dir / "origin.key").string());
    auto p = start(origin, "origin.pem");
    auto r1 = get(p->port(), "/tls");
    REQUIRE(r1);
    CHECK(r1->status == 200);
    CHECK(r1->body == "tls body 1");
    CHECK(r1->header("x-cache") == "MISS");
    auto r2 = get(p->port(), "/tls");
    REQUIRE(r2);
    CHECK(r2->body == "tls body 1");
    CHECK(r2->header("x-cache") == "HIT");
    auto r3 = get(p->port(), "/other");  // a second TLS connection (the origin closes each one)
    REQUIRE(r3);
    CHECK(r3->status == 404);
    CHECK(origin.requests() == 2);
    CHECK(origin.handshakeFailures() == 0);
  }
  SUBCASE("untrusted certificate") {
    TlsOrigin origin((dir / "origin.pem").string(), (dir / "origin.key").string());
    auto p = start(origin, "stranger.pem");
    auto r = get(p->port(), "/tls");
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(r->body.find("tls_failed") != std::string::npos);
    CHECK(origin.requests() == 0);
  }
  SUBCASE("certificate for another name") {
    TlsOrigin origin((dir / "misnamed.pem").string(), (dir / "misnamed.key").string());
    auto p = start(origin, "misnamed.pem");
    auto r = get(p->port(), "/tls");
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(origin.requests() == 0);
  }
  SUBCASE("a CA file that cannot be read fails start-up with one line") {
    TlsOrigin origin((dir / "origin.pem").string(), (dir / "origin.key").string());
    Proxy p(clock, origin.port());
    p.config.origin.scheme = "https";
    p.config.originCaFile = (dir / "missing.pem").string();
    ProxyServer server(p.config, *p.index, &p.log);
    const auto s = server.start();
    CHECK_FALSE(s.isOk());
    CHECK(s.message().find("missing.pem") != std::string::npos);
    CHECK(s.message().find('\n') == std::string::npos);
  }
}

TEST_CASE("origin down, slow or resetting -> 502/504 within the timeout") {
  FakeClock clock;
  SUBCASE("down") {
    Proxy p(clock, deadPort());
    p.start();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = get(p.port(), "/x");
    REQUIRE(r);
    CHECK(r->status == 502);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  }
  SUBCASE("slow") {
    TestOrigin origin(clock);
    origin.slowMs_ = 2000;
    Proxy p(clock, origin.port());
    p.config.originResponseTimeout = 300ms;
    p.start();
    const auto t0 = std::chrono::steady_clock::now();
    auto r = get(p.port(), "/slow");
    REQUIRE(r);
    CHECK(r->status == 504);
    CHECK(std::chrono::steady_clock::now() - t0 < 1500ms);
  }
  SUBCASE("reset") {
    ResettingOrigin origin;
    Proxy p(clock, origin.port());
    p.start();
    auto r = get(p.port(), "/x");
    REQUIRE(r);
    CHECK(r->status == 502);
  }
}

TEST_CASE("live resize and policy switch under load produce no errors") {
  FakeClock clock;
  TestOrigin origin(clock);
  Proxy p(clock, origin.port(), nullptr, nullptr, 40 * 1000);
  p.start();
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0}, done{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 4; ++t) {
    load.emplace_back([&, t] {
      Client c(p.port());
      for (int i = 0; i < 150 && !stop.load(); ++i) {
        const int k = (i * 7 + t * 13) % 60;
        c.send("GET /k/" + std::to_string(k) + " HTTP/1.1\r\nHost: example.test\r\n\r\n");
        auto r = c.read();
        if (!r || r->status != 200 || r->body.size() != std::size_t(1000 + 10 * k)) ++errors;
        ++done;
      }
    });
  }
  const auto online = cachelib::onlinePolicies();
  for (int i = 0; i < 20; ++i) {
    p.index->resize(i % 2 ? 10 * 1000 : 80 * 1000);
    CHECK(p.index->setPolicy(online[static_cast<std::size_t>(i) % online.size()].id).isOk());
    std::this_thread::sleep_for(5ms);
  }
  for (auto& t : load) t.join();
  CHECK(errors.load() == 0);
  CHECK(done.load() == 600);
  CHECK(p.index->snapshot().usedBytes <= p.index->snapshot().capacityBytes);
}

namespace {
// Alternates between two policies and two capacities every window.
class FlipController final : public cachelib::Controller {
 public:
  std::string name() const override { return "flip"; }
  cachelib::Decision start(const cachelib::ControlContext&) override { return {64 * 1000, 0}; }
  void observe(std::span<const cachelib::Request> requests) override { observed += requests.size(); }
  cachelib::Decision decide(const cachelib::WindowFeatures& f) override {
    observedAtDecide.push_back(observed.load());
    niceAtDecide = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
    windowRequests += f.requests;
    flip_ = !flip_;
    const auto online = cachelib::onlinePolicies();
    return {flip_ ? 20 * 1000u : 64 * 1000u, flip_ ? online[1].id : online[0].id};
  }

  std::atomic<std::uint64_t> observed{0};  // requests passed to observe()
  std::vector<std::uint64_t> observedAtDecide;
  std::uint64_t windowRequests = 0;  // requests in the windows decided so far
  int niceAtDecide = -100;            // the deciding thread's nice value

 private:
  bool flip_ = false;
};
}  // namespace

TEST_CASE("control loop applies controller decisions live from recorded traffic") {
  FakeClock clock;
  TestOrigin origin(clock);
  Proxy p(clock, origin.port(), nullptr, nullptr, 64 * 1000);
  p.start();
  ControlLoopConfig lc;
  lc.windowRequests = 20;
  lc.windowSeconds = 0;
  lc.floorBytes = 1000;
  lc.ceilingBytes = 1 << 20;
  std::atomic<int> decisions{0};
  auto flip = std::make_unique<FlipController>();
  FlipController* flipped = flip.get();  // owned by the loop, read after stop()
  ControlLoop loop(*p.index, p.log, std::move(flip), lc,
                   [&](const cachelib::WindowFeatures& f, const cachelib::Decision&, const cachelib::Decision&, bool,
                       bool) {
                     // The first window closes at a tenth (firstWindowShare).
                     CHECK(f.requests >= (decisions.load() == 0 ? 2u : 20u));
                     ++decisions;
                   });
  MetricsRegistry registry;
  auto decisionHistogram = registry.histogram("decide_seconds", "test", {1e-3, 1.0});
  REQUIRE(decisionHistogram.isOk());
  loop.setDecisionHistogram(decisionHistogram.value());
  loop.start();
  Client c(p.port());
  int errors = 0;
  for (int i = 0; i < 100; ++i) {
    c.send("GET /k/" + std::to_string(i % 30) + " HTTP/1.1\r\nHost: example.test\r\n\r\n");
    auto r = c.read();
    if (!r || r->status != 200) ++errors;
  }
  // The last access is recorded just after its response is written: wait
  // (bounded) until the loop has drained all 100.
  for (int i = 0; i < 300 && (decisions.load() < 3 || loop.status().requests < 100); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  loop.stop();
  CHECK(errors == 0);
  CHECK(decisions.load() >= 3);
  const auto st = loop.status();
  CHECK(st.windows >= 3);
  CHECK(st.requests == 100);
  CHECK(st.missBytes > 0);
  CHECK(st.cost.egress > 0);
  CHECK(st.resizes >= 2);
  // Every window's decide() was timed.
  CHECK(registry.renderText().find("decide_seconds_count " + std::to_string(st.windows) + "\n") != std::string::npos);
  CHECK(st.policySwitches >= 2);
  // Controller::observe saw every recorded request, each window's before its decide().
  CHECK(flipped->observed.load() == 100);
  CHECK(flipped->observedAtDecide.size() == std::size_t(st.windows));
  CHECK(flipped->observedAtDecide.back() >= flipped->windowRequests);
  // decide() runs on the control thread, niced below the I/O threads (the
  // default ControlLoopConfig::niceness, 10, above this thread's).
  const int ownNice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  CHECK(flipped->niceAtDecide == std::min(19, ownNice + lc.niceness));
  CHECK(lc.niceness == 10);
}

TEST_CASE_FIXTURE(StartedRig, "admin status counts a pin's hold down on the control loop's clock") {
  std::atomic<long long> loopSeconds{0};
  ControlLoopConfig lc;
  lc.clock = [&] { return std::chrono::steady_clock::time_point(std::chrono::seconds(loopSeconds.load())); };
  ControlLoop loop(*p.index, p.log, std::make_unique<FlipController>(), lc);
  MetricsRegistry registry;
  auto admin = ProxyAdmin::create(*p.index, *p.server, &loop, "example.test", registry);
  REQUIRE(admin.isOk());
  loop.start();
  REQUIRE(admin.value()->setCapacity(30 * 1000, 5s).isOk());
  loopSeconds = 2;  // PinState::until is on the loop's clock, and so is what is left of the hold
  CHECK(admin.value()->statusJson().find("\"holdSecondsLeft\":3.0") != std::string::npos);
}

TEST_CASE_FIXTURE(Rig, "drain: in-flight requests finish, then the server stops") {
  origin.slowMs_ = 400;
  p.config.originResponseTimeout = 3000ms;
  p.start();
  Client idle(p.port());  // an idle keep-alive connection must not hold the drain
  idle.get("/fresh");
  std::optional<RawResponse> inflight;
  std::thread t([&] { inflight = get(p.port(), "/slow"); });
  for (int i = 0; i < 200 && origin.hitsOf("/slow") == 0; ++i) std::this_thread::sleep_for(5ms);
  const auto t0 = std::chrono::steady_clock::now();
  p.server->beginDrain();
  p.server->waitStopped();
  t.join();
  REQUIRE(inflight);
  CHECK(inflight->status == 200);
  CHECK(inflight->body == "slow body");
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  CHECK(idle.closedByPeer());
  Client late(p.port());
  CHECK_FALSE((late.connected() && late.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n") && late.read()));
  p.server.reset();
}

TEST_CASE("start-up rebuilds the index from the RocksDB store; corrupt objects are dropped") {
  FakeClock clock;
  TestOrigin origin(clock);
  const auto dir = edgecache::testing::tempDir("proxy-e2e-store");
  ScopedDir cleanup{dir};  // declared first: removed after every store below is closed
  {
    store::StoreOptions so;
    so.path = (dir / "db").string();
    auto db = store::ObjectStore::open(so);
    REQUIRE(db);
    auto bodies = makeObjectStoreBodyStore(*db.value());
    {
      Proxy p(clock, origin.port(), nullptr, bodies.get());
      p.start();
      auto a = get(p.port(), "/fresh");
      auto b = get(p.port(), "/big");
      REQUIRE((a && b));
      CHECK(p.index->snapshot().objects == 2);
    }
    // A record whose metadata is garbage: must be dropped at start-up.
    auto w = bodies->beginWrite(12345);
    REQUIRE(w);
    REQUIRE(w.value()->append("junk").isOk());
    REQUIRE(w.value()->commit("not a stored object").isOk());
  }
  store::StoreOptions so;
  so.path = (dir / "db").string();
  auto db = store::ObjectStore::open(so);
  REQUIRE(db);
  auto bodies = makeObjectStoreBodyStore(*db.value());
  Proxy p(clock, origin.port(), nullptr, bodies.get());
  CHECK(p.rebuild.loaded == 2);
  CHECK(p.rebuild.dropped == 1);
  p.start();
  auto a = get(p.port(), "/fresh");
  auto b = get(p.port(), "/big");
  REQUIRE((a && b));
  CHECK(a->header("x-cache") == "HIT");
  CHECK(b->header("x-cache") == "HIT");
  CHECK(b->body.size() == 300 * 1024);
  CHECK(origin.hitsOf("/fresh") == 1);
  CHECK(origin.hitsOf("/big") == 1);
}

}  // TEST_SUITE
