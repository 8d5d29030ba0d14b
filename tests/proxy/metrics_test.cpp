#include "proxy/metrics.h"

#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

using namespace edgecache::proxy;

namespace {
// "t<n>"; built with insert() because "t" + std::to_string(n) trips a GCC 12
// -Wrestrict false positive.
std::string threadLabel(int t) {
  std::string s = std::to_string(t);
  s.insert(s.begin(), 't');
  return s;
}
}  // namespace

TEST_CASE("metrics: exact text rendering of a small registry") {
  MetricsRegistry reg;
  auto* req = reg.counterFamily("edgecache_requests_total", "Requests by cache result.", {"result"}).value();
  Counter hit = req->withLabels({"hit"}).value();
  Counter miss = req->withLabels({"miss"}).value();
  hit.inc();
  hit.inc(2);
  miss.inc(0.5);
  miss.inc(-3);  // ignored: counters never go down
  Gauge cap = reg.gauge("edgecache_cache_capacity_bytes", "Cache capacity.").value();
  cap.set(536870912);
  auto* policy = reg.gaugeFamily("edgecache_cache_policy", "Current policy (1 = active).", {"policy"}).value();
  policy->withLabels({"lru"}).value().set(1);
  Histogram lat = reg.histogram("edgecache_decision_duration_seconds", "Decision latency.", {0.001, 0.01, 0.1}).value();
  lat.observe(0.0005);
  lat.observe(0.001);  // le is inclusive
  lat.observe(0.05);
  lat.observe(7);
  auto* unused = reg.counterFamily("edgecache_unused_total", "Never resolved.", {"x"}).value();
  (void)unused;  // no children: not rendered at all

  const std::string expected =
      "# HELP edgecache_requests_total Requests by cache result.\n"
      "# TYPE edgecache_requests_total counter\n"
      "edgecache_requests_total{result=\"hit\"} 3\n"
      "edgecache_requests_total{result=\"miss\"} 0.5\n"
      "# HELP edgecache_cache_capacity_bytes Cache capacity.\n"
      "# TYPE edgecache_cache_capacity_bytes gauge\n"
      "edgecache_cache_capacity_bytes 536870912\n"
      "# HELP edgecache_cache_policy Current policy (1 = active).\n"
      "# TYPE edgecache_cache_policy gauge\n"
      "edgecache_cache_policy{policy=\"lru\"} 1\n"
      "# HELP edgecache_decision_duration_seconds Decision latency.\n"
      "# TYPE edgecache_decision_duration_seconds histogram\n"
      "edgecache_decision_duration_seconds_bucket{le=\"0.001\"} 2\n"
      "edgecache_decision_duration_seconds_bucket{le=\"0.01\"} 2\n"
      "edgecache_decision_duration_seconds_bucket{le=\"0.1\"} 3\n"
      "edgecache_decision_duration_seconds_bucket{le=\"+Inf\"} 4\n"
      "edgecache_decision_duration_seconds_sum 7.0515\n"
      "edgecache_decision_duration_seconds_count 4\n";
  CHECK(reg.renderText() == expected);
  CHECK(MetricsRegistry::kContentType.starts_with("text/plain; version=0.0.4"));
}

TEST_CASE("metrics: labelled histograms put le last; children sorted by label values") {
  MetricsRegistry reg;
  auto* h = reg.histogramFamily("lat_seconds", "L.", {"result", "zone"}, {1}).value();
  h->withLabels({"miss", "b"}).value().observe(2);
  h->withLabels({"hit", "a"}).value().observe(0.25);
  CHECK(reg.renderText() ==
        "# HELP lat_seconds L.\n"
        "# TYPE lat_seconds histogram\n"
        "lat_seconds_bucket{result=\"hit\",zone=\"a\",le=\"1\"} 1\n"
        "lat_seconds_bucket{result=\"hit\",zone=\"a\",le=\"+Inf\"} 1\n"
        "lat_seconds_sum{result=\"hit\",zone=\"a\"} 0.25\n"
        "lat_seconds_count{result=\"hit\",zone=\"a\"} 1\n"
        "lat_seconds_bucket{result=\"miss\",zone=\"b\",le=\"1\"} 0\n"
        "lat_seconds_bucket{result=\"miss\",zone=\"b\",le=\"+Inf\"} 1\n"
        "lat_seconds_sum{result=\"miss\",zone=\"b\"} 2\n"
        "lat_seconds_count{result=\"miss\",zone=\"b\"} 1\n");
}

TEST_CASE("metrics: escaping of label values and help text") {
  CHECK(escapeLabelValue("a\"b\\c\nd") == "a\\\"b\\\\c\\nd");
  CHECK(escapeLabelValue("plain/ü") == "plain/ü");
  CHECK(escapeHelp("x\\y\nz \"q\"") == "x\\\\y\\nz \"q\"");  // quotes stay in HELP

  MetricsRegistry reg;
  auto* f = reg.counterFamily("purges_total", "Purges.\nSecond line \\ here.", {"url"}).value();
  f->withLabels({"http://x/\"q\"\\\n"}).value().inc();
  CHECK(reg.renderText() ==
        "# HELP purges_total Purges.\\nSecond line \\\\ here.\n"
        "# TYPE purges_total counter\n"
        "purges_total{url=\"http://x/\\\"q\\\"\\\\\\n\"} 1\n");
}

TEST_CASE("metrics: value formatting") {
  CHECK(formatMetricValue(0) == "0");
  CHECK(formatMetricValue(-2) == "-2");
  CHECK(formatMetricValue(1e15) == "1000000000000000");
  CHECK(formatMetricValue(1e300) == "1e+300");
  CHECK(formatMetricValue(0.1) == "0.1");
  CHECK(formatMetricValue(1.0 / 0.0) == "+Inf");
  CHECK(formatMetricValue(-1.0 / 0.0) == "-Inf");
  CHECK(formatMetricValue(std::nan("")) == "NaN");
}

TEST_CASE("metrics: names, labels and buckets are validated") {
  MetricsRegistry reg;
  CHECK_FALSE(reg.counterFamily("", "h").isOk());
  CHECK_FALSE(reg.counterFamily("1abc", "h").isOk());
  CHECK_FALSE(reg.counterFamily("a-b", "h").isOk());
  CHECK(reg.counterFamily("ns:sub_total", "h").isOk());  // colons are legal
  CHECK_FALSE(reg.counterFamily("x_total", "h", {"__reserved"}).isOk());
  CHECK_FALSE(reg.counterFamily("x_total", "h", {"a:b"}).isOk());
  CHECK_FALSE(reg.counterFamily("x_total", "h", {"a", "a"}).isOk());
  CHECK_FALSE(reg.histogramFamily("h_seconds", "h", {"le"}, {1}).isOk());
  CHECK_FALSE(reg.histogram("h_seconds", "h", {}).isOk());
  CHECK_FALSE(reg.histogram("h_seconds", "h", {2, 1}).isOk());
  CHECK_FALSE(reg.histogram("h_seconds", "h", {1, 1.0 / 0.0}).isOk());

  // Identical re-registration returns the same family; a conflicting one fails.
  auto a = reg.counterFamily("req_total", "Requests.", {"result"});
  auto b = reg.counterFamily("req_total", "Requests.", {"result"});
  REQUIRE((a.isOk() && b.isOk()));
  CHECK(a.value() == b.value());
  CHECK_FALSE(reg.gaugeFamily("req_total", "Requests.", {"result"}).isOk());
  CHECK_FALSE(reg.counterFamily("req_total", "Requests.", {"other"}).isOk());
  auto msg = reg.counterFamily("req_total", "Other help.", {"result"});
  REQUIRE_FALSE(msg.isOk());
  CHECK(msg.message().find("req_total") != std::string::npos);

  // Histogram series names may not collide with other families.
  REQUIRE(reg.histogram("lat_seconds", "h", {1}).isOk());
  CHECK_FALSE(reg.counter("lat_seconds_count", "h").isOk());
  REQUIRE(reg.gauge("queue_sum", "h").isOk());
  CHECK_FALSE(reg.histogram("queue", "h", {1}).isOk());

  // Label values: count must match, must be UTF-8.
  auto* f = a.value();
  CHECK_FALSE(f->withLabels({}).isOk());
  CHECK_FALSE(f->withLabels({"a", "b"}).isOk());
  CHECK_FALSE(f->withLabels({std::string_view("\xff\xfe", 2)}).isOk());
  CHECK_FALSE(f->withLabels({std::string_view("\xc0\xaf", 2)}).isOk());  // overlong
  CHECK(f->withLabels({"日本"}).isOk());
  // The same label values give the same child.
  f->withLabels({"hit"}).value().inc();
  f->withLabels({"hit"}).value().inc();
  CHECK(f->withLabels({"hit"}).value().value() == 2);

  // Unwired handles are harmless.
  Counter c;
  c.inc();
  Gauge g;
  g.set(3);
  Histogram h;
  h.observe(1);
}

TEST_CASE("metrics: concurrent updates are exact") {
  MetricsRegistry reg;
  auto* fam = reg.counterFamily("ops_total", "Ops.", {"kind"}).value();
  auto* hfam = reg.histogramFamily("op_seconds", "Op latency.", {"kind"}, {0.5, 1.5}).value();
  Gauge inflight = reg.gauge("inflight", "In flight.").value();
  constexpr int kThreads = 4;
  constexpr int kIters = 200000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread resolves its handles once, then only touches atomics.
      Counter shared = fam->withLabels({"shared"}).value();
      Counter own = fam->withLabels({threadLabel(t)}).value();
      Histogram h = hfam->withLabels({"x"}).value();
      for (int i = 0; i < kIters; ++i) {
        shared.inc();
        own.inc(2);
        h.observe(i % 3);  // 0, 1, 2
        inflight.inc();
        inflight.dec();
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(fam->withLabels({"shared"}).value().value() == kThreads * kIters);
  for (int t = 0; t < kThreads; ++t) CHECK(fam->withLabels({threadLabel(t)}).value().value() == 2.0 * kIters);
  CHECK(inflight.value() == 0);
  const auto text = reg.renderText();
  // i % 3 over 200000 iterations: 66667 zeros, 66667 ones, 66666 twos per thread.
  CHECK(text.find("op_seconds_bucket{kind=\"x\",le=\"0.5\"} " + std::to_string(kThreads * 66667) + "\n") != std::string::npos);
  CHECK(text.find("op_seconds_bucket{kind=\"x\",le=\"1.5\"} " + std::to_string(kThreads * 2 * 66667) + "\n") != std::string::npos);
  CHECK(text.find("op_seconds_bucket{kind=\"x\",le=\"+Inf\"} " + std::to_string(kThreads * kIters) + "\n") != std::string::npos);
  CHECK(text.find("op_seconds_sum{kind=\"x\"} " + std::to_string(kThreads * (66667 + 2 * 66666)) + "\n") != std::string::npos);
  CHECK(text.find("op_seconds_count{kind=\"x\"} " + std::to_string(kThreads * kIters) + "\n") != std::string::npos);
}

TEST_CASE("metrics: rendering while other threads update and register") {
  MetricsRegistry reg;
  auto* fam = reg.counterFamily("busy_total", "Busy.", {"k"}).value();
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) fam->withLabels({std::to_string(i % 50)}).value().inc();
    done = true;
  });
  int renders = 0;
  while (!done) {
    (void)reg.renderText();
    ++renders;
  }
  writer.join();
  CHECK(reg.renderText().find("busy_total{k=\"49\"} 40\n") != std::string::npos);
}
