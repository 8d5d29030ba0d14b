// End-to-end tests of the real edgecache-proxy process (the binary built by
// this tree, path from EDGECACHE_PROXY_BIN) on 127.0.0.1 ephemeral ports,
// in front of an in-process cpp-httplib test origin:
//  - a real Prometheus server scrapes the proxy's admin /metrics;
//  - crash safety: SIGKILL at seeded random moments while a client reads and
//    writes the RocksDB store, restart on the same store, every body byte for
//    byte, and everything fetched before the last kill is a hit afterwards;
//  - SIGTERM drains an in-flight request and exits 0.
// The proxy prints its bound ports ("listening on ...", "admin API on ...")
// on stderr; the test reads them from the child's log file.
//
// Bodies are a pure function of the URL (seeded byte pattern), so any byte
// the client receives can be checked without remembering what was sent.
// Waits are bounded in count and time; nothing leaves the loopback interface.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "proxy/http_date.h"
#include "tests/test_support.h"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t kSeed = 0x5eed'edc0'ffee'2026ull;

// ------------------------------------------------------- deterministic bodies
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// Size from the URL: mostly 200 B .. 20 KB, about 1 in 50 above the store's
// 256 KiB chunk size (multi-chunk objects).
std::size_t bodySizeFor(std::string_view path) {
  std::uint64_t x = fnv1a(path) ^ kSeed;
  const std::uint64_t r = splitmix64(x);
  if (r % 50 == 0) return 260'000 + static_cast<std::size_t>(splitmix64(x) % 140'000);
  return 200 + static_cast<std::size_t>(splitmix64(x) % 19'800);
}

// The URL itself, a newline, then seeded pseudo-random bytes.
std::string expectedBody(std::string_view path) {
  const std::size_t size = bodySizeFor(path);
  std::string body(path);
  body += '\n';
  std::uint64_t x = fnv1a(path) * 31 + kSeed;
  while (body.size() < size) {
    std::uint64_t v = splitmix64(x);
    for (int i = 0; i < 8 && body.size() < size; ++i, v >>= 8) body += static_cast<char>(v & 0xff);
  }
  body.resize(std::max(size, body.size()));
  return body;
}

// ------------------------------------------------------------------ origin
class TestOrigin {
 public:
  TestOrigin() {
    svr_.Get(R"(/obj/(\d+))", [this](const httplib::Request& req, httplib::Response& res) {
      count(req.path);
      reply(req.path, res);
    });
    svr_.Get("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      count(req.path);
      std::this_thread::sleep_for(std::chrono::milliseconds(slowMs.load()));
      reply(req.path, res);
    });
    svr_.set_tcp_nodelay(true);  // else each response's body write waits ~40 ms for a delayed ACK
    port_ = svr_.bind_to_any_port("127.0.0.1");
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    for (int i = 0; i < 500 && !svr_.is_running(); ++i) std::this_thread::sleep_for(2ms);
  }
  ~TestOrigin() {
    svr_.stop();
    if (thread_.joinable()) thread_.join();
  }
  int port() const { return port_; }
  int hitsOf(const std::string& path) {
    std::lock_guard lock(mutex_);
    auto it = hits_.find(path);
    return it == hits_.end() ? 0 : it->second;
  }
  std::map<std::string, int> allHits() {
    std::lock_guard lock(mutex_);
    return hits_;
  }
  std::atomic<int> slowMs{1500};

 private:
  void count(const std::string& path) {
    std::lock_guard lock(mutex_);
    ++hits_[path];
  }
  static void reply(const std::string& path, httplib::Response& res) {
    res.set_header("Date", edgecache::proxy::formatHttpDate(std::chrono::floor<std::chrono::seconds>(
                               std::chrono::system_clock::now())));
    res.set_header("Cache-Control", "max-age=3600");
    res.set_content(expectedBody(path), "application/octet-stream");
  }

  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mutex_;
  std::map<std::string, int> hits_;
};

// ---------------------------------------------------------------- process
std::string readFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A child process with stdout+stderr in `log`. Killed (SIGKILL) and reaped by
// the destructor if still running; PR_SET_PDEATHSIG kills it if the test dies.
class Process {
 public:
  Process(const std::vector<std::string>& args, fs::path log) : log_(std::move(log)) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    const std::string logPath = log_.string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      // Async-signal-safe calls only between fork and exec.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int fd = ::open(logPath.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
        ::close(fd);
      }
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Process() {
    if (!exited_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running() {
    if (exited_) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) == pid_) {
      exited_ = true;
      status_ = st;
    }
    return !exited_;
  }
  void signal(int sig) { ::kill(pid_, sig); }
  // The raw wait status, or nullopt if still running after `deadline`.
  std::optional<int> wait(std::chrono::milliseconds deadline) {
    const auto end = std::chrono::steady_clock::now() + deadline;
    while (running()) {
      if (std::chrono::steady_clock::now() > end) return std::nullopt;
      std::this_thread::sleep_for(5ms);
    }
    return status_;
  }
  std::string log() const { return readFile(log_); }

 private:
  fs::path log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

// Polls the log for `pattern` (one capture group: a port) up to `deadline`.
std::optional<int> waitForPort(Process& p, const std::regex& pattern, std::chrono::milliseconds deadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    const std::string text = p.log();
    std::smatch m;
    if (std::regex_search(text, m, pattern)) return std::stoi(m[1].str());
    if (!p.running()) return std::nullopt;
    std::this_thread::sleep_for(10ms);
  }
  return std::nullopt;
}

struct ProxyProcess {
  std::unique_ptr<Process> process;
  int port = 0;
  int adminPort = 0;  // 0: admin off
};

// Starts edgecache-proxy on 127.0.0.1:0 (and the admin API on 127.0.0.1:0
// when `admin`), waits until it reports its ports.
ProxyProcess startProxy(int originPort, const fs::path& storeDir, const fs::path& log, bool admin,
                        const std::vector<std::string>& extraArgs = {}, const std::string& capacity = "1GiB") {
  std::vector<std::string> args = {EDGECACHE_PROXY_BIN,
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--origin",
                                   "http://127.0.0.1:" + std::to_string(originPort),
                                   "--store",
                                   storeDir.string(),
                                   "--capacity",
                                   capacity,
                                   "--policy",
                                   "lru",
                                   "--admin",
                                   admin ? "127.0.0.1:0" : "off"};
  args.insert(args.end(), extraArgs.begin(), extraArgs.end());
  ProxyProcess pp;
  pp.process = std::make_unique<Process>(args, log);
  const auto port = waitForPort(*pp.process, std::regex(R"(listening on 127\.0\.0\.1:(\d+))"), 20s);
  REQUIRE_MESSAGE(port, "edgecache-proxy did not start; log:\n" << pp.process->log());
  pp.port = *port;
  if (admin) {
    const auto ap = waitForPort(*pp.process, std::regex(R"(admin API on 127\.0\.0\.1:(\d+))"), 20s);
    REQUIRE_MESSAGE(ap, "edgecache-proxy admin API did not start; log:\n" << pp.process->log());
    pp.adminPort = *ap;
  }
  return pp;
}

// A currently free loopback port (bind to 0, read it, close).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string findOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return {};
}

std::unique_ptr<httplib::Client> clientFor(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_connection_timeout(2, 0);
  c->set_read_timeout(10, 0);
  c->set_write_timeout(5, 0);
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);
  // The cache key includes the Host field (RFC 9111: the target URI); a
  // restarted proxy listens on a new ephemeral port, so name the site with a
  // fixed Host rather than httplib's default "127.0.0.1:<port>".
  c->set_default_headers({{"Host", "example.test"}});
  return c;
}

// GET /status from the admin API, parsed (must answer 200).
nlohmann::json adminStatus(httplib::Client& admin) {
  auto r = admin.Get("/status");
  REQUIRE(r);
  REQUIRE(r->status == 200);
  return nlohmann::json::parse(r->body);
}

}  // namespace

TEST_SUITE("proxy process") {

TEST_CASE("a real Prometheus server scrapes the proxy's request counters") {
  const std::string prometheus = findOnPath("prometheus");
  // A declared dependency (scripts/install-deps.sh): missing is a failure.
  REQUIRE_MESSAGE(!prometheus.empty(), "prometheus not found on PATH (scripts/install-deps.sh installs it)");

  const auto dir = edgecache::testing::tempDir("proxy-process-prom");
  TestOrigin origin;
  auto proxy = startProxy(origin.port(), dir / "db", dir / "proxy.log", true);

  // Traffic: 30 misses, then the same 30 URLs again as hits.
  constexpr int kObjects = 30;
  auto client = clientFor(proxy.port);
  for (int pass = 0; pass < 2; ++pass) {
    for (int i = 0; i < kObjects; ++i) {
      const std::string path = "/obj/" + std::to_string(1000 + i);
      auto r = client->Get(path);
      REQUIRE_MESSAGE(r, "GET " << path << ": " << httplib::to_string(r.error()));
      CHECK(r->status == 200);
      CHECK(r->body == expectedBody(path));
      CHECK(r->get_header_value("X-Cache") == (pass == 0 ? "MISS" : "HIT"));
    }
  }

  const int promPort = freePort();
  {
    std::ofstream cfg(dir / "prometheus.yml");
    cfg << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n  - job_name: edgecache\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << proxy.adminPort << "']\n";
  }
  fs::create_directories(dir / "tsdb");
  Process prom({prometheus, "--config.file=" + (dir / "prometheus.yml").string(),
                "--storage.tsdb.path=" + (dir / "tsdb").string(),
                "--web.listen-address=127.0.0.1:" + std::to_string(promPort)},
               dir / "prometheus.log");

  httplib::Client api("127.0.0.1", promPort);
  api.set_connection_timeout(1, 0);
  api.set_read_timeout(5, 0);
  // The value of a one-sample instant query, or "" (not there yet).
  auto query = [&](const std::string& q) -> std::string {
    auto r = api.Get("/api/v1/query", httplib::Params{{"query", q}}, httplib::Headers{});
    if (!r || r->status != 200) return {};
    const auto j = nlohmann::json::parse(r->body, nullptr, false);
    if (j.is_discarded() || j.value("status", "") != "success") return {};
    const auto& result = j["data"]["result"];
    if (!result.is_array() || result.size() != 1) return {};
    return result[0]["value"][1].get<std::string>();
  };

  std::string up, hits, misses, total;
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < deadline) {
    REQUIRE_MESSAGE(prom.running(), "prometheus exited; log:\n" << prom.log());
    up = query(R"(up{job="edgecache"})");
    hits = query(R"(edgecache_requests_total{job="edgecache",result="hit"})");
    misses = query(R"(edgecache_requests_total{job="edgecache",result="miss"})");
    total = query(R"(sum(edgecache_requests_total{job="edgecache"}))");
    if (up == "1" && hits == std::to_string(kObjects) && misses == std::to_string(kObjects) &&
        total == std::to_string(2 * kObjects)) {
      break;
    }
    std::this_thread::sleep_for(250ms);
  }
  INFO("prometheus log:\n" << prom.log());
  CHECK(up == "1");
  CHECK(hits == std::to_string(kObjects));
  CHECK(misses == std::to_string(kObjects));
  CHECK(total == std::to_string(2 * kObjects));

  prom.signal(SIGTERM);
  if (!prom.wait(10s)) prom.signal(SIGKILL);
  proxy.process->signal(SIGTERM);
  const auto st = proxy.process->wait(15s);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("admin overrides pin capacity and policy across controller windows until released") {
  const auto dir = edgecache::testing::tempDir("proxy-process-override");
  TestOrigin origin;
  {
    std::ofstream cfg(dir / "proxy.toml");
    cfg << "controller = \"static\"\n[control]\nwindow-seconds = 0.1\nfloor = \"1MiB\"\n";  // a window every 100 ms
  }
  // The static controller decides 8MiB + lru at every window: without the
  // pin, a manual change would be undone within 100 ms.
  auto proxy = startProxy(origin.port(), dir / "db", dir / "proxy.log", true,
                          {"--config", (dir / "proxy.toml").string()}, "8MiB");
  httplib::Client admin("127.0.0.1", proxy.adminPort);
  admin.set_read_timeout(5, 0);
  auto status = [&] { return adminStatus(admin); };
  // Waits (bounded) until `n` more controller windows have closed.
  auto awaitWindows = [&](int n) {
    const auto target = status()["control"]["windows"].get<long long>() + n;
    for (int i = 0; i < 300 && status()["control"]["windows"].get<long long>() < target; ++i)
      std::this_thread::sleep_for(10ms);
    REQUIRE(status()["control"]["windows"].get<long long>() >= target);
  };
  constexpr std::uint64_t k8MiB = 8ull << 20, k3MiB = 3ull << 20;
  awaitWindows(1);
  CHECK(status()["capacityBytes"] == k8MiB);
  CHECK(status()["overrides"]["capacity"].is_null());

  auto put = admin.Put("/capacity", "3MiB", "text/plain");
  REQUIRE(put);
  CHECK(put->status == 200);
  auto pol = admin.Put("/policy", "fifo", "text/plain");
  REQUIRE(pol);
  CHECK(pol->status == 200);
  awaitWindows(3);
  auto s = status();
  CHECK(s["capacityBytes"] == k3MiB);  // the override holds...
  CHECK(s["policy"] == "fifo");
  CHECK(s["overrides"]["capacity"]["capacityBytes"] == k3MiB);
  CHECK(s["overrides"]["capacity"]["holdSecondsLeft"].is_null());
  CHECK(s["overrides"]["policy"]["policy"] == "fifo");
  CHECK(s["control"]["proposed"]["capacityBytes"] == k8MiB);  // ...while the controller still proposes its own
  CHECK(s["control"]["proposed"]["policy"] == "lru");
  CHECK(proxy.process->log().find("capacity pinned by admin; controller proposed 8MiB") != std::string::npos);
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics);
  CHECK(metrics->body.find("edgecache_override_pinned{dimension=\"capacity\"} 1") != std::string::npos);
  CHECK(metrics->body.find("edgecache_controller_proposed_capacity_bytes 8388608") != std::string::npos);

  // DELETE hands the dimension back: the controller's decision applies at once.
  auto del = admin.Delete("/capacity");
  REQUIRE(del);
  CHECK(del->body == "{\"ok\":true,\"released\":true}\n");
  s = status();
  CHECK(s["capacityBytes"] == k8MiB);
  CHECK(s["overrides"]["capacity"].is_null());
  CHECK(s["policy"] == "fifo");  // the other pin is untouched
  awaitWindows(2);
  CHECK(status()["policy"] == "fifo");
  REQUIRE(admin.Delete("/policy"));
  CHECK(status()["policy"] == "lru");

  // A timed hold ends by itself.
  auto timed = admin.Put("/capacity?hold=1", "3MiB", "text/plain");
  REQUIRE(timed);
  CHECK(timed->status == 200);
  s = status();
  CHECK(s["capacityBytes"] == k3MiB);
  CHECK(s["overrides"]["capacity"]["holdSecondsLeft"].get<double>() > 0.0);
  CHECK(s["overrides"]["capacity"]["holdSecondsLeft"].get<double>() <= 1.0);
  for (int i = 0; i < 300 && !status()["overrides"]["capacity"].is_null(); ++i) std::this_thread::sleep_for(10ms);
  s = status();
  CHECK(s["overrides"]["capacity"].is_null());
  CHECK(s["capacityBytes"] == k8MiB);

  proxy.process->signal(SIGTERM);
  CHECK(proxy.process->wait(15s));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("the hot tier serves repeat hits from memory; /status and /metrics show it, latency and bytes by result") {
  const auto dir = edgecache::testing::tempDir("proxy-process-hot");
  TestOrigin origin;
  auto proxy = startProxy(origin.port(), dir / "db", dir / "proxy.log", true);
  auto client = clientFor(proxy.port);
  const std::string path = "/obj/4242";
  for (int i = 0; i < 4; ++i) {  // miss (stored), hit (read from RocksDB, fills), 2 hits from memory
    auto r = client->Get(path);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == expectedBody(path));
    CHECK(r->get_header_value("X-Cache") == (i == 0 ? "MISS" : "HIT"));
  }
  httplib::Client admin("127.0.0.1", proxy.adminPort);
  auto st = admin.Get("/status");
  REQUIRE(st);
  const auto j = nlohmann::json::parse(st->body);
  CHECK(j["hotTier"]["fills"] == 1);
  CHECK(j["hotTier"]["hits"] == 2);
  CHECK(j["hotTier"]["bytes"] == expectedBody(path).size());
  auto m = admin.Get("/metrics");
  REQUIRE(m);
  CHECK(m->body.find("edgecache_hot_tier_hits_total 2") != std::string::npos);
  CHECK(m->body.find("edgecache_hot_tier_objects 1") != std::string::npos);
  // Latency histograms and served bytes by result, updated by the data plane.
  const std::string size = std::to_string(expectedBody(path).size());
  const std::string hitBytes = std::to_string(3 * expectedBody(path).size());
  for (const std::string& line : {std::string("edgecache_response_seconds_count{result=\"hit\"} 3"),
                                 std::string("edgecache_response_seconds_count{result=\"miss\"} 1"),
                                 std::string("edgecache_response_seconds_count{result=\"error\"} 0"),
                                 "edgecache_served_bytes_total{result=\"hit\"} " + hitBytes,
                                 "edgecache_served_bytes_total{result=\"miss\"} " + size,
                                 std::string("edgecache_origin_fetch_seconds_count 1"),
                                 std::string("edgecache_cache_policy_info{policy=\"lru\"} 1"),
                                 std::string("edgecache_cache_policy_info{policy=\"fifo\"} 0")}) {
    CAPTURE(line);
    CHECK(m->body.find(line + "\n") != std::string::npos);
  }
  CHECK(origin.hitsOf(path) == 1);
  // A body of 64 KiB or more: the hot tier keeps it in an unnamed file in
  // the store directory and hits go out by sendfile(2); every byte checked.
  std::string large = "/obj/1";
  for (int n = 1; bodySizeFor(large) < (64u << 10); ++n) large = "/obj/" + std::to_string(n);
  for (int i = 0; i < 4; ++i) {
    auto r = client->Get(large);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->body == expectedBody(large));
    CHECK(r->get_header_value("X-Cache") == (i == 0 ? "MISS" : "HIT"));
  }
  auto st2 = admin.Get("/status");
  REQUIRE(st2);
  CHECK(nlohmann::json::parse(st2->body)["hotTier"]["hits"] == 4);
  proxy.process->signal(SIGTERM);
  CHECK(proxy.process->wait(15s));
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("SIGKILL at random moments never yields a wrong byte; committed objects survive restarts") {
  const auto dir = edgecache::testing::tempDir("proxy-process-crash");
  const fs::path storeDir = dir / "db";
  TestOrigin origin;
  std::mt19937_64 rng(kSeed);

  constexpr int kRounds = 5;
  constexpr int kMaxRequestsPerRound = 2000;
  std::vector<std::string> completed;       // paths with a full, verified response, in order
  std::map<std::string, int> completedRound;  // path -> round of its first full response
  int nextId = 0, totalOk = 0, totalHits = 0, crossRestartHits = 0;
  std::vector<std::string> failures;

  for (int round = 0; round < kRounds; ++round) {
    CAPTURE(round);
    auto proxy = startProxy(origin.port(), storeDir, dir / ("proxy-" + std::to_string(round) + ".log"), false);
    std::atomic<bool> killed{false};
    std::atomic<int> roundOk{0};
    std::mt19937_64 clientRng(kSeed + static_cast<std::uint64_t>(round));
    std::set<std::string> seenThisRound;

    std::thread client([&] {
      auto c = clientFor(proxy.port);
      for (int i = 0; i < kMaxRequestsPerRound; ++i) {
        std::string path;
        const bool reread = !completed.empty() && clientRng() % 10 < 4;
        if (reread) {
          path = completed[clientRng() % completed.size()];
        } else {
          path = "/obj/" + std::to_string(nextId++);
        }
        auto r = c->Get(path);
        const bool firstThisRound = seenThisRound.insert(path).second;
        if (!r) {
          if (!killed.load()) {
            failures.push_back("GET " + path + " failed while the proxy was alive: " + httplib::to_string(r.error()));
          }
          return;  // the proxy is gone; this round's traffic ends
        }
        if (r->status != 200 || r->body != expectedBody(path)) {
          failures.push_back("GET " + path + ": status " + std::to_string(r->status) + ", " +
                             std::to_string(r->body.size()) + " bytes, wrong body");
          continue;
        }
        const std::string xcache = r->get_header_value("X-Cache");
        if (xcache == "HIT") {
          ++totalHits;
          // First request for it in this process, yet a hit: it survived a SIGKILL.
          if (firstThisRound) ++crossRestartHits;
        }
        if (completedRound.emplace(path, round).second) completed.push_back(path);
        ++totalOk;
        ++roundOk;
      }
    });

    // Let some traffic through, then kill at a seeded random moment.
    const auto start = std::chrono::steady_clock::now();
    while (roundOk.load() < 30 && std::chrono::steady_clock::now() - start < 10s) std::this_thread::sleep_for(2ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 250));
    killed = true;
    proxy.process->signal(SIGKILL);
    const auto st = proxy.process->wait(10s);
    client.join();
    REQUIRE(st);
    CHECK(WIFSIGNALED(*st));
    MESSAGE("round " << round << ": " << roundOk.load() << " verified responses before SIGKILL");
  }

  for (const auto& f : failures) FAIL_CHECK(f);
  CHECK(failures.empty());
  CHECK(totalOk > kRounds * 30);
  CHECK(crossRestartHits > 0);

  // Final restart: everything the client fully received before the last kill
  // is served from the store, without the origin, byte for byte. (The proxy
  // commits a response before its last bytes reach the client, and a commit
  // is in the RocksDB WAL, which survives the process.)
  auto proxy = startProxy(origin.port(), storeDir, dir / "proxy-final.log", false);
  const auto originBefore = origin.allHits();
  auto c = clientFor(proxy.port);
  int notHits = 0;
  for (const auto& path : completed) {
    auto r = c->Get(path);
    REQUIRE_MESSAGE(r, "GET " << path << ": " << httplib::to_string(r.error()));
    CHECK(r->status == 200);
    CHECK_MESSAGE(r->body == expectedBody(path), path);
    if (r->get_header_value("X-Cache") != "HIT") {
      ++notHits;
      MESSAGE(path << " after restart: X-Cache " << r->get_header_value("X-Cache"));
    }
  }
  CHECK(notHits == 0);
  CHECK(origin.allHits() == originBefore);
  MESSAGE(completed.size() << " objects verified as hits after " << kRounds << " SIGKILLs; " << totalOk
                           << " verified responses, " << totalHits << " hits, " << crossRestartHits
                           << " across a restart");
  proxy.process->signal(SIGTERM);
  const auto st = proxy.process->wait(15s);
  REQUIRE(st);
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("the DRL agent drives a live proxy: a decision every window, fine-tunes on live traffic, no failed request") {
  // `--controller drl` with the shipped default model and online fine-tuning
  // on a background thread, against live requests over real sockets: every
  // window's decision is applied (capacity within [floor, ceiling]), a
  // fine-tune finishes (published or rejected by its safeguard), and the
  // clients see only correct bodies meanwhile.
  const auto dir = edgecache::testing::tempDir("proxy-process-drl");
  TestOrigin origin;
  {
    std::ofstream cfg(dir / "proxy.toml");
    cfg << "controller = \"drl\"\n[control]\nwindow-seconds = 0.1\nwindow-requests = 200\n"
           "floor = \"1MiB\"\nceiling = \"64MiB\"\n";
  }
  auto proxy = startProxy(origin.port(), dir / "db", dir / "proxy.log", true,
                          {"--config", (dir / "proxy.toml").string()}, "16MiB");
  httplib::Client admin("127.0.0.1", proxy.adminPort);
  admin.set_read_timeout(5, 0);
  auto status = [&] { return adminStatus(admin); };

  // Two clients: a skewed mix over 3000 objects (~30 MB), so capacity matters.
  std::atomic<bool> stop{false};
  std::atomic<long> ok{0}, bad{0};
  std::mutex firstBadMutex;
  std::string firstBad;
  auto client = [&](std::uint64_t seed) {
    auto c = clientFor(proxy.port);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    while (!stop.load()) {
      const auto k = static_cast<int>(3000 * std::pow(u(rng), 3.0));  // skewed towards small ids
      const std::string path = "/obj/" + std::to_string(k);
      auto r = c->Get(path);
      if (r && r->status == 200 && r->body == expectedBody(path)) {
        ++ok;
        continue;
      }
      ++bad;
      std::lock_guard lock(firstBadMutex);
      if (firstBad.empty()) firstBad = path + ": " + (r ? std::to_string(r->status) : httplib::to_string(r.error()));
    }
  };
  std::thread c1(client, kSeed), c2(client, kSeed + 1);

  const std::regex outcomes(R"((\d+) published, (\d+) rejected)");
  long finished = 0;
  std::set<std::uint64_t> capacities;
  nlohmann::json s;
  for (int i = 0; i < 1200 && finished == 0; ++i) {  // up to ~60 s
    std::this_thread::sleep_for(50ms);
    s = status();
    capacities.insert(s["capacityBytes"].get<std::uint64_t>());
    const std::string summary = s["control"]["summary"].get<std::string>();
    std::smatch m;
    if (std::regex_search(summary, m, outcomes)) finished = std::stol(m[1].str()) + std::stol(m[2].str());
  }
  stop = true;
  c1.join();
  c2.join();

  INFO("status: " << s.dump());
  CHECK(s["control"]["controller"] == "drl:default.ecdrl");
  CHECK(finished >= 1);
  CHECK(s["control"]["summary"].get<std::string>().find("fine-tunes (background)") != std::string::npos);
  CHECK(s["control"]["windows"].get<long long>() >= 4);
  for (const std::uint64_t c : capacities) {
    CHECK(c >= (1ull << 20));
    CHECK(c <= (64ull << 20));
  }
  CHECK_MESSAGE(bad.load() == 0, "first failed request: " << firstBad);
  CHECK(ok.load() > 100);
  // The same counts in Prometheus: every event the agent reports, from zero.
  auto metrics = admin.Get("/metrics");
  REQUIRE(metrics);
  const std::regex published(R"(edgecache_controller_events_total\{event="finetune_published"\} (\d+))");
  const std::regex rejected(R"(edgecache_controller_events_total\{event="finetune_rejected"\} (\d+))");
  std::smatch mp, mr;
  REQUIRE(std::regex_search(metrics->body, mp, published));
  REQUIRE(std::regex_search(metrics->body, mr, rejected));
  CHECK(std::stol(mp[1].str()) + std::stol(mr[1].str()) >= finished);
  for (const char* event : {"finetune_skipped", "finetune_failed", "drift_alarm"})
    CHECK(metrics->body.find("edgecache_controller_events_total{event=\"" + std::string(event) + "\"}") !=
          std::string::npos);

  proxy.process->signal(SIGTERM);
  const auto st = proxy.process->wait(15s);
  REQUIRE_MESSAGE(st, "edgecache-proxy still running 15 s after SIGTERM");
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  const std::string log = proxy.process->log();
  CHECK(log.find("controller drl:default.ecdrl: fine-tunes (background)") != std::string::npos);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("SIGTERM lets an in-flight request finish, then the process exits 0") {
  const auto dir = edgecache::testing::tempDir("proxy-process-term");
  TestOrigin origin;
  origin.slowMs = 1500;
  auto proxy = startProxy(origin.port(), dir / "db", dir / "proxy.log", false);

  httplib::Result inflight{nullptr, httplib::Error::Unknown};
  std::thread t([&] { inflight = clientFor(proxy.port)->Get("/slow"); });
  for (int i = 0; i < 1000 && origin.hitsOf("/slow") == 0; ++i) std::this_thread::sleep_for(5ms);
  REQUIRE(origin.hitsOf("/slow") == 1);  // the request is at the origin, in flight
  const auto t0 = std::chrono::steady_clock::now();
  proxy.process->signal(SIGTERM);
  t.join();
  REQUIRE_MESSAGE(inflight, httplib::to_string(inflight.error()));
  CHECK(inflight->status == 200);
  CHECK(inflight->body == expectedBody("/slow"));
  const auto st = proxy.process->wait(15s);
  REQUIRE_MESSAGE(st, "edgecache-proxy still running 15 s after SIGTERM");
  CHECK(WIFEXITED(*st));
  CHECK(WEXITSTATUS(*st) == 0);
  CHECK(std::chrono::steady_clock::now() - t0 < 10s);
  CHECK(proxy.process->log().find("edgecache-proxy: stopped") != std::string::npos);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // TEST_SUITE
