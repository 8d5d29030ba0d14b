// edgecache-bench overhead: what the window features and shadow caches cost
// the replay, side by side in one run: the same static controller replayed
// with features off and with features on at each sampling rate.

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <sstream>

#include <fmt/core.h>

#include "bench/commands.h"
#include "bench/trace_options.h"
#include "cachelib/controllers/static_controller.h"
#include "cachelib/policy_registry.h"
#include "cachelib/windowed_replay.h"

namespace edgecache::bench {

namespace {

struct OverheadOptions {
  TraceOptions trace;
  std::string policy = "lru";
  std::string size = "10%";
  std::string rates = "0.01,0.001";
  std::size_t gridPoints = 12;
  std::string shadowPolicies = "online";
  std::uint64_t window = 100'000;
  std::size_t shadowObjects = cachelib::WindowConfig{}.shadowObjects;
  unsigned repeat = 5;
};

double threadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

[[noreturn]] void fail(const std::string& message) { failCommand("overhead", message); }

double throughput(std::span<const cachelib::Request> requests, const cachelib::ReplayEnvConfig& env,
                  cachelib::Decision d) {
  // Per CPU-second of this thread, not per wall second: on a shared machine
  // time spent descheduled would otherwise count as replay time.
  cachelib::StaticController c(d);
  const double before = threadCpuSeconds();
  auto r = cachelib::runControlled(requests, c, env);
  return double(r.stats.requests) / std::max(1e-9, threadCpuSeconds() - before);
}

void runOverhead(const OverheadOptions& o) {
  auto policies = parsePolicyList(o.policy);
  if (!policies || policies->size() != 1) fail("--policy: one policy name expected");
  auto trace = loadTrace(o.trace);
  if (!trace) fail(trace.message());
  auto size = parseSizeList(o.size, trace->workingSet.bytes);
  if (!size) fail(size.message());
  const cachelib::Decision d{size->front(), policies->front()};

  cachelib::ReplayEnvConfig env;
  env.context.floorBytes = 1;
  env.context.ceilingBytes = trace->workingSet.bytes * 2;
  env.context.window.requests = o.window;
  env.context.window.capacityGrid =
      cachelib::geometricGrid(std::max<std::uint64_t>(1, trace->workingSet.bytes / 100), trace->workingSet.bytes, o.gridPoints);
  auto shadows = parsePolicyList(o.shadowPolicies);
  if (!shadows) fail("--shadow-policies: " + shadows.message());
  for (cachelib::PolicyId id : shadows.value())
    if (cachelib::findPolicy(id)->offline)
      fail("--shadow-policies: " + std::string(cachelib::findPolicy(id)->name) +
           " is an offline bound (it needs the future), not a what-if policy");
  env.context.window.shadowPolicies = shadows.value();
  env.context.window.shadowObjects = o.shadowObjects;
  env.requestRate = trace->hasTimestamps ? 0.0 : 1000.0;
  auto parsedRates = parseRateList(o.rates);
  if (!parsedRates) fail("--rates: " + parsedRates.message());
  const std::vector<double> rates = parsedRates.value();
  // Settings interleaved within each repeat, fastest run of each kept: on a
  // shared machine slow phases then hit every setting alike.
  double off = 0;
  std::vector<double> on(rates.size(), 0.0);
  for (unsigned rep = 0; rep < std::max(1u, o.repeat); ++rep) {
    env.features = false;
    off = std::max(off, throughput(trace->requests, env, d));
    env.features = true;
    for (std::size_t i = 0; i < rates.size(); ++i) {
      env.context.window.samplingRate = rates[i];
      on[i] = std::max(on[i], throughput(trace->requests, env, d));
    }
  }
  fmt::print(
      "trace {}, {} at {} B, window {} requests, {} policies x {} sizes of shadow caches, shadow objects {}, best of {} "
      "interleaved\n",
      trace->name, cachelib::findPolicy(d.policy)->name, d.capacityBytes, o.window,
      env.context.window.shadowPolicies.size(), env.context.window.capacityGrid.size(), o.shadowObjects, o.repeat);
  fmt::print("{:<22} {:>10} {:>10}\n", "features", "Mreq/cpu-s", "slowdown");
  fmt::print("{:<22} {:>10.2f} {:>10}\n", "off", off / 1e6, "-");
  for (std::size_t i = 0; i < rates.size(); ++i)
    fmt::print("{:<22} {:>10.2f} {:>9.1f}%\n", fmt::format("on, sampling {:.3g}", rates[i]), on[i] / 1e6,
               (off / on[i] - 1.0) * 100.0);
}

}  // namespace

void addOverheadCommand(CLI::App& app) {
  auto o = std::make_shared<OverheadOptions>();
  CLI::App* cmd = app.add_subcommand("overhead", "Replay throughput with window features + shadow caches off vs on");
  addTraceOptions(*cmd, o->trace);
  cmd->add_option("--policy", o->policy, "Policy of the replayed cache")->capture_default_str();
  cmd->add_option("--size", o->size, "Cache size (bytes or fraction of the working set)")->capture_default_str();
  cmd->add_option("--rates", o->rates, "Sampling rates to measure")->capture_default_str();
  cmd->add_option("--grid-points", o->gridPoints, "What-if capacities per policy")->capture_default_str();
  cmd->add_option("--shadow-policies", o->shadowPolicies, "What-if policies (comma list or online)")->capture_default_str();
  cmd->add_option("--window", o->window, "Window length in requests")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000000000}))
      ->capture_default_str();
  cmd->add_option("--shadow-objects", o->shadowObjects,
                  "Sampled objects a shadow may hold before it halves its rate (0 = one rate for all)")
      ->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "Runs per setting; the fastest counts")->capture_default_str();
  cmd->callback([o] { runOverhead(*o); });
}

}  // namespace edgecache::bench
