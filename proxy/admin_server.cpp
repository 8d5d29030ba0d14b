#include "proxy/admin_server.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <exception>
#include <functional>
#include <optional>
#include <thread>

#include <httplib.h>
#include <sys/socket.h>

#include "cachelib/byte_size.h"
#include "cachelib/policy_registry.h"

namespace edgecache::proxy {

namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

std::string jsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Compares in time independent of where the strings differ, so the token
// cannot be guessed byte by byte from response times.
bool constantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

void replyError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(jsonError(message) + "\n", kJson);
}

constexpr long long kMaxHoldSeconds = 30LL * 24 * 3600;

// `?hold=SECONDS`: absent -> 0 (until released); else a whole number in
// [1, kMaxHoldSeconds]. Returns nullopt (and `error`) otherwise.
std::optional<std::chrono::seconds> parseHold(const httplib::Request& req, std::string& error) {
  if (!req.has_param("hold")) return std::chrono::seconds{0};
  const std::string text = req.get_param_value("hold");
  long long v = 0;
  bool ok = !text.empty() && text.size() <= 8;
  for (char c : text) {
    if (c < '0' || c > '9') {
      ok = false;
      break;
    }
    v = v * 10 + (c - '0');
  }
  if (!ok || v < 1 || v > kMaxHoldSeconds) {
    error = "hold: expected whole seconds in 1.." + std::to_string(kMaxHoldSeconds) + ", got '" + text + "'";
    return std::nullopt;
  }
  return std::chrono::seconds{v};
}

std::string holdJson(std::chrono::seconds hold) { return hold.count() > 0 ? std::to_string(hold.count()) : "null"; }

}  // namespace

std::string jsonError(std::string_view message) {
  // One line whatever the message holds: jsonString escapes newlines.
  return "{\"error\":" + jsonString(message) + "}";
}

struct AdminServer::Impl {
  AdminHooks& hooks;
  AdminServerOptions options;
  httplib::Server server;
  std::thread thread;
  std::atomic<bool> listenReturned{false};
  std::uint16_t boundPort = 0;
  bool configured = false;

  Impl(AdminHooks& h, AdminServerOptions o) : hooks(h), options(std::move(o)) {}

  // Runs `body` and turns anything it throws into a 500, so a misbehaving
  // hook costs one request, not the server.
  static void guarded(httplib::Response& res, const std::function<void()>& body) {
    try {
      body();
    } catch (const std::exception& e) {
      replyError(res, 500, std::string("internal error: ") + e.what());
    } catch (...) {
      replyError(res, 500, "internal error");
    }
  }

  void handleStatus(httplib::Response& res) {
    guarded(res, [&] { res.set_content(hooks.statusJson(), kJson); });
  }

  void handleCapacity(const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      const auto text = trim(req.body);
      if (text.empty()) return replyError(res, 400, "capacity: empty body (expected bytes, e.g. 536870912 or 512MiB)");
      auto bytes = cachelib::parseByteSize(text);
      if (!bytes) return replyError(res, 400, "capacity: " + bytes.message());
      std::string error;
      const auto hold = parseHold(req, error);
      if (!hold) return replyError(res, 400, "capacity: " + error);
      if (auto s = hooks.setCapacity(bytes.value(), *hold); !s) return replyError(res, 400, "capacity: " + s.message());
      res.set_content("{\"ok\":true,\"capacityBytes\":" + std::to_string(bytes.value()) +
                          ",\"holdSeconds\":" + holdJson(*hold) + "}\n",
                      kJson);
    });
  }

  void handlePolicy(const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      std::string name(trim(req.body));
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      if (name.empty()) return replyError(res, 400, "policy: empty body (expected one of: " + cachelib::policyNames(false) + ")");
      const auto* info = cachelib::findPolicy(name);
      if (!info) return replyError(res, 400, "policy: unknown policy '" + name + "' (known: " + cachelib::policyNames(false) + ")");
      if (info->offline) return replyError(res, 400, "policy: '" + name + "' is an offline bound, not a live policy");
      std::string error;
      const auto hold = parseHold(req, error);
      if (!hold) return replyError(res, 400, "policy: " + error);
      if (auto s = hooks.setPolicy(info->id, *hold); !s) return replyError(res, 400, "policy: " + s.message());
      res.set_content("{\"ok\":true,\"policy\":" + jsonString(info->name) + ",\"id\":" + std::to_string(info->id) +
                          ",\"holdSeconds\":" + holdJson(*hold) + "}\n",
                      kJson);
    });
  }

  void handleRelease(httplib::Response& res, bool capacity) {
    guarded(res, [&] {
      const bool released = capacity ? hooks.releaseCapacity() : hooks.releasePolicy();
      res.set_content(std::string("{\"ok\":true,\"released\":") + (released ? "true" : "false") + "}\n", kJson);
    });
  }

  void handlePurge(const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      const auto url = req.get_param_value("url");
      if (url.empty()) return replyError(res, 400, "purge: missing query parameter url");
      auto n = hooks.purge(url);
      if (!n) return replyError(res, 400, "purge: " + n.message());
      res.set_content("{\"ok\":true,\"purged\":" + std::to_string(n.value()) + "}\n", kJson);
    });
  }

  void handleMetrics(httplib::Response& res) {
    guarded(res, [&] { res.set_content(hooks.metricsText(), kMetricsContentType); });
  }

  // Known path, other method: 405 with Allow, rather than httplib's 404.
  // `allow` is the comma-separated list of the methods the path serves.
  void methodNotAllowed(const std::string& path, const std::string& allow) {
    auto reply = [allow](const httplib::Request& req, httplib::Response& res) {
      res.set_header("Allow", allow);
      replyError(res, 405, "method " + req.method + " not allowed (allowed: " + allow + ")");
    };
    auto allowed = [&](std::string_view m) { return allow.find(m) != std::string::npos; };
    if (!allowed("GET")) server.Get(path, reply);
    if (!allowed("PUT")) server.Put(path, reply);
    if (!allowed("POST")) server.Post(path, reply);
    if (!allowed("DELETE")) server.Delete(path, reply);
    server.Patch(path, reply);
  }

  void configure() {
    server.new_task_queue = [n = std::max(1, options.threads)] { return new httplib::ThreadPool(static_cast<size_t>(n)); };
    // httplib's default on Linux is SO_REUSEPORT (without SO_REUSEADDR): a
    // second proxy would then bind the same admin port silently and the
    // kernel would split requests between the two. SO_REUSEADDR alone still
    // allows a quick restart over TIME_WAIT but refuses a live listener.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.set_payload_max_length(options.maxBodyBytes);
    server.set_read_timeout(options.ioTimeout);
    server.set_write_timeout(options.ioTimeout);

    if (!options.bearerToken.empty()) {
      server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
        const auto header = req.get_header_value("Authorization");
        constexpr std::string_view kScheme = "Bearer ";
        const bool ok = header.size() > kScheme.size() && std::equal(kScheme.begin(), kScheme.end(), header.begin(), [](char a, char b) {
                          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                        }) && constantTimeEquals(trim(std::string_view(header).substr(kScheme.size())), options.bearerToken);
        if (ok) return httplib::Server::HandlerResponse::Unhandled;
        res.set_header("WWW-Authenticate", "Bearer realm=\"edgecache-admin\"");
        replyError(res, 401, header.empty() ? "missing bearer token" : "invalid bearer token");
        return httplib::Server::HandlerResponse::Handled;
      });
    }

    server.Get("/status", [this](const httplib::Request&, httplib::Response& res) { handleStatus(res); });
    server.Put("/capacity", [this](const httplib::Request& req, httplib::Response& res) { handleCapacity(req, res); });
    server.Put("/policy", [this](const httplib::Request& req, httplib::Response& res) { handlePolicy(req, res); });
    server.Delete("/capacity", [this](const httplib::Request&, httplib::Response& res) { handleRelease(res, true); });
    server.Delete("/policy", [this](const httplib::Request&, httplib::Response& res) { handleRelease(res, false); });
    server.Post("/purge", [this](const httplib::Request& req, httplib::Response& res) { handlePurge(req, res); });
    server.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { handleMetrics(res); });
    methodNotAllowed("/status", "GET");
    methodNotAllowed("/capacity", "PUT, DELETE");
    methodNotAllowed("/policy", "PUT, DELETE");
    methodNotAllowed("/purge", "POST");
    methodNotAllowed("/metrics", "GET");

    // httplib's own errors (404 unknown path, 413 body too large, 400
    // malformed request) get the same one-line JSON body as ours.
    server.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request&, httplib::Response& res) {
      if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      const char* what = res.status == 404   ? "not found"
                         : res.status == 413 ? "request body too large"
                         : res.status == 400 ? "bad request"
                                             : "error";
      res.set_content(jsonError(what) + "\n", kJson);
      return httplib::Server::HandlerResponse::Handled;
    }));
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      replyError(res, 500, "internal error");
    });
  }
};

AdminServer::AdminServer(AdminHooks& hooks, AdminServerOptions options)
    : impl_(std::make_unique<Impl>(hooks, std::move(options))) {}

AdminServer::~AdminServer() { stop(); }

cachelib::Status AdminServer::start() {
  auto& im = *impl_;
  if (im.thread.joinable()) return cachelib::Status::error("admin: server already started");
  if (!im.configured) {
    im.configure();
    im.configured = true;
  }
  const auto& o = im.options;
  int port = -1;
  if (o.port == 0) {
    port = im.server.bind_to_any_port(o.bindAddress);
  } else if (im.server.bind_to_port(o.bindAddress, o.port)) {
    port = o.port;
  }
  if (port <= 0)
    return cachelib::Status::error("admin: cannot bind " + o.bindAddress + ":" + std::to_string(o.port));
  im.boundPort = static_cast<std::uint16_t>(port);
  im.listenReturned = false;
  im.thread = std::thread([&im] {
    im.server.listen_after_bind();
    im.listenReturned = true;
  });
  // stop() only takes effect once listen has started (httplib ignores it
  // before), so do not return until it has: a start() followed at once by
  // stop() must not leave the thread blocked in accept().
  while (!im.server.is_running() && !im.listenReturned) std::this_thread::yield();
  if (im.listenReturned) {
    im.thread.join();
    im.boundPort = 0;
    return cachelib::Status::error("admin: listening on " + o.bindAddress + ":" + std::to_string(port) + " failed");
  }
  return cachelib::Status::ok();
}

void AdminServer::stop() {
  auto& im = *impl_;
  if (!im.thread.joinable()) return;
  im.server.stop();
  im.thread.join();
  im.boundPort = 0;
}

std::uint16_t AdminServer::port() const noexcept { return impl_->boundPort; }

}  // namespace edgecache::proxy
