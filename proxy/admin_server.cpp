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

#include "cachelib/policy_registry.h"
#include "proxy/admin_request.h"

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

void replyError(httplib::Response& res, int status, std::string_view message) {
  res.status = status;
  res.set_content(jsonError(message) + "\n", kJson);
}

// The query parameter `name`, if the request has it.
std::optional<std::string_view> param(const httplib::Request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  auto it = req.params.lower_bound(name);  // the first value, like get_param_value
  return std::string_view(it->second);
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
      auto bytes = parseCapacityBody(req.body);
      if (!bytes) return replyError(res, 400, bytes.message());
      const auto hold = parseHoldParam(param(req, "hold"));
      if (!hold) return replyError(res, 400, "capacity: " + hold.message());
      if (auto s = hooks.setCapacity(bytes.value(), hold.value()); !s) return replyError(res, 400, "capacity: " + s.message());
      res.set_content("{\"ok\":true,\"capacityBytes\":" + std::to_string(bytes.value()) +
                          ",\"holdSeconds\":" + holdJson(hold.value()) + "}\n",
                      kJson);
    });
  }

  void handlePolicy(const httplib::Request& req, httplib::Response& res) {
    guarded(res, [&] {
      auto policy = parsePolicyBody(req.body);
      if (!policy) return replyError(res, 400, policy.message());
      const auto* info = policy.value();
      const auto hold = parseHoldParam(param(req, "hold"));
      if (!hold) return replyError(res, 400, "policy: " + hold.message());
      if (auto s = hooks.setPolicy(info->id, hold.value()); !s) return replyError(res, 400, "policy: " + s.message());
      res.set_content("{\"ok\":true,\"policy\":" + jsonString(info->name) + ",\"id\":" + std::to_string(info->id) +
                          ",\"holdSeconds\":" + holdJson(hold.value()) + "}\n",
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
      const auto url = parsePurgeUrl(param(req, "url"));
      if (!url) return replyError(res, 400, url.message());
      auto n = hooks.purge(url.value());
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
        if (bearerTokenMatches(header, options.bearerToken)) return httplib::Server::HandlerResponse::Unhandled;
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
