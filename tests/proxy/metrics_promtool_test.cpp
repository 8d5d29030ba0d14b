// Validates the rendered text with the real `promtool check metrics`
// (Debian package prometheus, a declared dependency: a missing promtool
// fails the test). The registry is shaped like the proxy's.

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "proxy/metrics.h"
#include "tests/test_support.h"

using namespace edgecache::proxy;

namespace {

struct PromtoolResult {
  int exitCode = -1;
  std::string output;
};

std::string findPromtool() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    const auto end = dirs.find(':', start);
    const auto dir = dirs.substr(start, end == std::string::npos ? std::string::npos : end - start);
    const auto candidate = std::filesystem::path(dir) / "promtool";
    if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return {};
}

PromtoolResult checkMetrics(const std::string& text) {
  const auto promtool = findPromtool();
  REQUIRE_MESSAGE(!promtool.empty(), "promtool not found in PATH: install the Debian package 'prometheus'");
  const auto file = edgecache::testing::tempDir("promtool") / "metrics.txt";
  {
    std::ofstream out(file, std::ios::binary);
    out << text;
  }
  const std::string cmd = promtool + " check metrics < '" + file.string() + "' 2>&1";
  PromtoolResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The proxy's metrics, with a little traffic so every family has children.
std::string proxyShapedText() {
  MetricsRegistry reg;
  const std::vector<std::string> results = {"hit", "miss", "stale", "revalidated", "bypass"};
  auto* requests = reg.counterFamily("edgecache_requests_total", "Client requests by cache result.", {"result"}).value();
  auto* served = reg.counterFamily("edgecache_served_bytes_total", "Body bytes sent to clients by cache result.", {"result"}).value();
  auto* response = reg.histogramFamily("edgecache_response_duration_seconds", "Time from request head to last response byte.",
                                       {"result"}, exponentialBuckets(0.0005, 2, 16))
                       .value();
  for (std::size_t i = 0; i < results.size(); ++i) {
    requests->withLabels({results[i]}).value().inc(100.0 * (i + 1));
    served->withLabels({results[i]}).value().inc(1.5e9 * (i + 1));
    auto h = response->withLabels({results[i]}).value();
    for (int k = 0; k < 50; ++k) h.observe(0.0003 * (k + 1) * (i + 1));
  }
  reg.gauge("edgecache_cache_capacity_bytes", "Configured cache capacity.").value().set(512.0 * 1024 * 1024);
  reg.gauge("edgecache_cache_used_bytes", "Bytes of cached objects.").value().set(498123456);
  reg.counter("edgecache_evictions_total", "Objects evicted to make room.").value().inc(1234);
  auto* policy = reg.gaugeFamily("edgecache_cache_policy", "Replacement policy in use (1) and not (0).", {"policy"}).value();
  policy->withLabels({"lru"}).value().set(0);
  policy->withLabels({"s3fifo"}).value().set(1);
  auto* decisions = reg.counterFamily("edgecache_controller_decisions_total", "Controller decisions applied, by kind.",
                                      {"controller", "kind"})
                        .value();
  decisions->withLabels({"drl", "resize"}).value().inc(12);
  decisions->withLabels({"drl", "switch_policy"}).value().inc(3);
  decisions->withLabels({"drl", "keep"}).value().inc(40);
  auto decision = reg.histogram("edgecache_decision_duration_seconds", "Time to compute one controller decision.",
                                exponentialBuckets(0.0001, 4, 8))
                      .value();
  decision.observe(0.004);
  decision.observe(0.02);
  auto* origin = reg.histogramFamily("edgecache_origin_duration_seconds", "Origin fetch time to the last byte.", {"origin"},
                                     {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})
                     .value();
  origin->withLabels({"origin-a.example:443"}).value().observe(0.08);
  auto* originErrors = reg.counterFamily("edgecache_origin_errors_total", "Failed origin fetches by cause.", {"cause"}).value();
  for (const char* cause : {"connect", "timeout", "status_5xx", "reset"}) originErrors->withLabels({cause}).value().inc(2);
  reg.counter("edgecache_rental_cost_dollars_total", "Accumulated cache rental cost.").value().inc(0.0137);
  reg.counter("edgecache_egress_cost_dollars_total", "Accumulated origin egress cost.").value().inc(4.25);
  // Label values that need every escape.
  auto* purges = reg.counterFamily("edgecache_admin_requests_total", "Admin API requests.", {"path", "note"}).value();
  purges->withLabels({"/purge", "quote \" backslash \\ newline \n end"}).value().inc();
  return reg.renderText();
}

}  // namespace

TEST_CASE("metrics: promtool accepts the proxy-shaped registry") {
  const auto text = proxyShapedText();
  const auto r = checkMetrics(text);
  INFO("promtool output:\n" << r.output << "\ninput:\n" << text);
  CHECK(r.exitCode == 0);
  CHECK(r.output.empty());
}

TEST_CASE("metrics: promtool really checks (a known-bad exposition is rejected)") {
  // Our renderer would never produce these; they prove the harness notices.
  const auto lint = checkMetrics("# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n");
  CHECK(lint.output.find("_total") != std::string::npos);  // counter naming lint
  const auto parse = checkMetrics("# TYPE x counter\nx{a=\"unterminated} 1\n");
  CHECK(parse.exitCode != 0);
}
