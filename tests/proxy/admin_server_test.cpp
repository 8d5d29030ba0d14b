// The admin API over real sockets on 127.0.0.1 (ephemeral ports), driven by
// httplib::Client against a recording AdminHooks.

#include "proxy/admin_server.h"

#include <chrono>
#include <mutex>
#include <utility>
#include <stdexcept>

#include <doctest/doctest.h>
#include <httplib.h>

#include "cachelib/policy_registry.h"

using namespace edgecache::proxy;
using edgecache::cachelib::Result;
using edgecache::cachelib::Status;

namespace {

class TestHooks : public AdminHooks {
 public:
  std::string statusJson() override {
    std::lock_guard lock(mutex_);
    return R"({"capacityBytes":)" + std::to_string(capacity_) + "}";
  }
  Status setCapacity(std::uint64_t bytes, std::chrono::seconds hold) override {
    std::lock_guard lock(mutex_);
    if (bytes < 4096) return Status::error("capacity below the 4096-byte minimum");
    capacity_ = bytes;
    hold_ = hold;
    pinnedCapacity_ = true;
    return Status::ok();
  }
  Status setPolicy(edgecache::cachelib::PolicyId id, std::chrono::seconds hold) override {
    std::lock_guard lock(mutex_);
    policy_ = id;
    hold_ = hold;
    pinnedPolicy_ = true;
    return Status::ok();
  }
  bool releaseCapacity() override {
    std::lock_guard lock(mutex_);
    return std::exchange(pinnedCapacity_, false);
  }
  bool releasePolicy() override {
    std::lock_guard lock(mutex_);
    return std::exchange(pinnedPolicy_, false);
  }
  std::chrono::seconds hold() {
    std::lock_guard lock(mutex_);
    return hold_;
  }
  Result<std::uint64_t> purge(std::string_view url) override {
    std::lock_guard lock(mutex_);
    if (url == "throw") throw std::runtime_error("boom");
    purged_.emplace_back(url);
    return std::uint64_t{2};
  }
  std::string metricsText() override { return "# TYPE up gauge\nup 1\n"; }

  std::uint64_t capacity() {
    std::lock_guard lock(mutex_);
    return capacity_;
  }
  int policy() {
    std::lock_guard lock(mutex_);
    return policy_;
  }
  std::vector<std::string> purged() {
    std::lock_guard lock(mutex_);
    return purged_;
  }

 private:
  std::mutex mutex_;
  std::uint64_t capacity_ = 1 << 20;
  int policy_ = -1;
  std::chrono::seconds hold_{-1};
  bool pinnedCapacity_ = false, pinnedPolicy_ = false;
  std::vector<std::string> purged_;
};

AdminServerOptions ephemeral(std::string token = {}) {
  AdminServerOptions o;
  o.port = 0;
  o.bearerToken = std::move(token);
  return o;
}

void checkJsonError(const httplib::Result& r, int status) {
  REQUIRE(r);
  CHECK(r->status == status);
  CHECK(r->get_header_value("Content-Type") == "application/json");
  CHECK(r->body.starts_with("{\"error\":\""));
  CHECK(r->body.find('\n') == r->body.size() - 1);  // one line
}

}  // namespace

TEST_CASE("admin: every endpoint over a real socket") {
  TestHooks hooks;
  AdminServer server(hooks, ephemeral());
  REQUIRE(server.port() == 0);
  auto started = server.start();
  REQUIRE_MESSAGE(started.isOk(), started.message());
  REQUIRE(server.port() != 0);
  CHECK_FALSE(server.start().isOk());  // already running

  httplib::Client cli("127.0.0.1", server.port());

  auto status = cli.Get("/status");
  REQUIRE(status);
  CHECK(status->status == 200);
  CHECK(status->body == R"({"capacityBytes":1048576})");
  CHECK(status->get_header_value("Content-Type") == "application/json");

  auto cap = cli.Put("/capacity", "512MiB\n", "text/plain");
  REQUIRE(cap);
  CHECK(cap->status == 200);
  CHECK(cap->body == "{\"ok\":true,\"capacityBytes\":536870912,\"holdSeconds\":null}\n");
  CHECK(hooks.capacity() == 536870912ull);
  CHECK(hooks.hold() == std::chrono::seconds{0});
  auto held = cli.Put("/capacity?hold=90", "2MiB", "text/plain");
  REQUIRE(held);
  CHECK(held->status == 200);
  CHECK(held->body == "{\"ok\":true,\"capacityBytes\":2097152,\"holdSeconds\":90}\n");
  CHECK(hooks.hold() == std::chrono::seconds{90});
  for (const char* bad : {"0", "-1", "1.5", "abc", "", "99999999999", "2592001"}) {
    CAPTURE(bad);
    auto r = cli.Put(std::string("/capacity?hold=") + bad, "3MiB", "text/plain");
    checkJsonError(r, 400);
    CHECK(r->body.find("hold") != std::string::npos);
  }
  CHECK(hooks.capacity() == 2097152ull);  // refused holds change nothing
  auto released = cli.Delete("/capacity");
  REQUIRE(released);
  CHECK(released->status == 200);
  CHECK(released->body == "{\"ok\":true,\"released\":true}\n");
  CHECK(cli.Delete("/capacity")->body == "{\"ok\":true,\"released\":false}\n");
  REQUIRE(cli.Put("/capacity", "1048576", "text/plain"));
  CHECK(hooks.capacity() == 1048576);
  checkJsonError(cli.Put("/capacity", "lots", "text/plain"), 400);
  checkJsonError(cli.Put("/capacity", "", "text/plain"), 400);
  checkJsonError(cli.Put("/capacity", "-5", "text/plain"), 400);
  auto tooSmall = cli.Put("/capacity", "1KiB", "text/plain");
  checkJsonError(tooSmall, 400);  // the hook's refusal
  CHECK(tooSmall->body.find("4096-byte minimum") != std::string::npos);
  CHECK(hooks.capacity() == 1048576);

  const auto* lru = edgecache::cachelib::findPolicy("lru");
  REQUIRE(lru != nullptr);
  auto pol = cli.Put("/policy", " LRU\n", "text/plain");
  REQUIRE(pol);
  CHECK(pol->status == 200);
  CHECK(pol->body == "{\"ok\":true,\"policy\":\"lru\",\"id\":" + std::to_string(lru->id) + ",\"holdSeconds\":null}\n");
  CHECK(hooks.policy() == lru->id);
  checkJsonError(cli.Put("/policy?hold=x", "lru", "text/plain"), 400);
  CHECK(cli.Delete("/policy")->body == "{\"ok\":true,\"released\":true}\n");
  CHECK(cli.Delete("/policy")->body == "{\"ok\":true,\"released\":false}\n");
  auto unknown = cli.Put("/policy", "nosuchpolicy", "text/plain");
  checkJsonError(unknown, 400);
  CHECK(unknown->body.find("nosuchpolicy") != std::string::npos);
  for (const auto& info : edgecache::cachelib::policyRegistry())
    if (info.offline) checkJsonError(cli.Put("/policy", std::string(info.name), "text/plain"), 400);
  checkJsonError(cli.Put("/policy", "", "text/plain"), 400);

  auto purge = cli.Post("/purge?url=http%3A%2F%2Forigin.example%2Fa%20b%3Fq%3D1", "", "text/plain");
  REQUIRE(purge);
  CHECK(purge->status == 200);
  CHECK(purge->body == "{\"ok\":true,\"purged\":2}\n");
  CHECK(hooks.purged() == std::vector<std::string>{"http://origin.example/a b?q=1"});
  checkJsonError(cli.Post("/purge", "", "text/plain"), 400);
  checkJsonError(cli.Post("/purge?url=", "", "text/plain"), 400);
  // A hook that throws costs one request a 500, not the server.
  checkJsonError(cli.Post("/purge?url=throw", "", "text/plain"), 500);

  auto metrics = cli.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(metrics->body == "# TYPE up gauge\nup 1\n");
  CHECK(metrics->get_header_value("Content-Type").starts_with("text/plain; version=0.0.4"));

  checkJsonError(cli.Get("/nope"), 404);
  checkJsonError(cli.Get("/"), 404);
  auto wrongMethod = cli.Delete("/status");
  checkJsonError(wrongMethod, 405);
  CHECK(wrongMethod->get_header_value("Allow") == "GET");
  auto getCapacity = cli.Get("/capacity");
  checkJsonError(getCapacity, 405);
  CHECK(getCapacity->get_header_value("Allow") == "PUT, DELETE");
  checkJsonError(cli.Put("/capacity", std::string(10000, '1'), "text/plain"), 413);

  CHECK(cli.Get("/status")->status == 200);  // still serving after all that
  server.stop();
  server.stop();  // idempotent
  CHECK(server.port() == 0);
  CHECK_FALSE(cli.Get("/status"));
}

TEST_CASE("admin: bearer token required and accepted") {
  TestHooks hooks;
  AdminServer server(hooks, ephemeral("s3cret-token"));
  REQUIRE(server.start().isOk());
  httplib::Client cli("127.0.0.1", server.port());

  for (const char* path : {"/status", "/metrics", "/nope"}) {
    auto r = cli.Get(path);
    checkJsonError(r, 401);
    CHECK(r->get_header_value("WWW-Authenticate").starts_with("Bearer"));
  }
  checkJsonError(cli.Put("/capacity", "1GiB", "text/plain"), 401);
  CHECK(hooks.capacity() == 1 << 20);  // nothing reached the hooks

  checkJsonError(cli.Get("/status", {{"Authorization", "Bearer wrong"}}), 401);
  checkJsonError(cli.Get("/status", {{"Authorization", "Bearer s3cret-tokenX"}}), 401);
  checkJsonError(cli.Get("/status", {{"Authorization", "Basic s3cret-token"}}), 401);

  cli.set_bearer_token_auth("s3cret-token");
  CHECK(cli.Get("/status")->status == 200);
  CHECK(cli.Get("/metrics")->status == 200);
  CHECK(cli.Put("/capacity", "1GiB", "text/plain")->status == 200);
  CHECK(hooks.capacity() == 1ull << 30);
  checkJsonError(cli.Get("/nope"), 404);
}

TEST_CASE("admin: start/stop cycles and bind failures") {
  TestHooks hooks;
  for (int i = 0; i < 20; ++i) {  // stop right after start must not hang
    AdminServer server(hooks, ephemeral());
    REQUIRE(server.start().isOk());
    server.stop();
  }
  AdminServer first(hooks, ephemeral());
  REQUIRE(first.start().isOk());
  AdminServerOptions same = ephemeral();
  same.port = first.port();
  AdminServer second(hooks, same);
  auto s = second.start();
  REQUIRE_FALSE(s.isOk());
  CHECK(s.message().find("cannot bind") != std::string::npos);

  // Restart on a fresh ephemeral port.
  first.stop();
  REQUIRE(first.start().isOk());
  httplib::Client cli("127.0.0.1", first.port());
  CHECK(cli.Get("/status")->status == 200);
}

TEST_CASE("admin: jsonError escapes into one line") {
  CHECK(jsonError("a \"b\"\nc\\") == R"({"error":"a \"b\"\nc\\"})");
}
