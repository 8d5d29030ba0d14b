// edgecache-bench compare: replay one trace under several controllers (in
// parallel threads) and compare hit ratio against what the user pays.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "agent/agent_controllers.h"
#include "bench/commands.h"
#include "bench/plot.h"
#include "bench/progress.h"
#include "bench/trace_options.h"
#include "cachelib/byte_size.h"
#include "cachelib/controllers/controller_factory.h"
#include "cachelib/policy_registry.h"
#include "cachelib/windowed_replay.h"

namespace edgecache::bench {

namespace {

struct CompareOptions {
  TraceOptions trace;
  std::string controllers = "static:lru:1GiB,size-only,strategy-only,joint-greedy,oracle";
  std::uint64_t window = 10'000;
  double firstWindow = 0.1;  // share of a window for the first one
  double windowSeconds = 0.0;
  double priceGbHour = 0.015;
  double priceEgressGb = 0.09;
  double priceResize = 0.0;
  std::string floor = "1%";
  std::string ceiling = "100%";
  std::size_t gridPoints = 12;
  std::size_t shadowObjects = cachelib::WindowConfig{}.shadowObjects;
  std::string sampling = "auto";
  double requestRate = 0.0;
  unsigned threads = 0;
  bool json = false;
  std::string plot;
  std::string timeline;
  bool asyncFineTune = false;
};

[[noreturn]] void fail(const std::string& message) { failCommand("compare", message); }

std::vector<std::string> splitControllers(const std::string& list) {
  std::vector<std::string> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

void writeTimeline(const std::string& path, const std::vector<cachelib::ControlledResult>& results) {
  std::ofstream out(path);
  if (!out) fail("cannot write " + path);
  out << "controller,window,start_seconds,end_seconds,requests,hit_ratio,byte_hit_ratio,capacity_bytes,policy,"
         "rental_cost,egress_cost,resize_cost\n";
  for (const auto& r : results)
    for (const auto& w : r.windows)
      out << r.controller << ',' << w.index << ',' << w.startSeconds << ',' << w.endSeconds << ',' << w.requests << ','
          << (w.requests ? double(w.hits) / double(w.requests) : 0.0) << ','
          << (w.bytes ? double(w.byteHits) / double(w.bytes) : 0.0) << ',' << w.decision.capacityBytes << ','
          << cachelib::findPolicy(w.decision.policy)->name << ',' << w.cost.rental << ',' << w.cost.egress << ','
          << w.cost.resize << '\n';
}

void plotTimeline(const std::string& path, const std::string& title, const std::vector<cachelib::ControlledResult>& results,
                  bool byTime) {
  Panel hit{.yLabel = "hit ratio"};
  Panel cap{.yLabel = "capacity (GiB)"};
  Panel pol{.yLabel = "policy", .steps = true};
  for (const auto& p : cachelib::onlinePolicies()) pol.yTics.emplace_back(double(p.id), std::string(p.name));
  const double t0 = results.empty() || results[0].windows.empty() ? 0.0 : results[0].windows[0].startSeconds;
  for (const auto& r : results) {
    Series h{r.controller, {}}, c{r.controller, {}}, p{r.controller, {}};
    for (const auto& w : r.windows) {
      const double x = byTime ? (w.startSeconds - t0) / 3600.0 : double(w.index);
      h.points.emplace_back(x, w.requests ? double(w.hits) / double(w.requests) : 0.0);
      c.points.emplace_back(x, double(w.decision.capacityBytes) / double(1ull << 30));
      p.points.emplace_back(x, double(w.decision.policy));
    }
    hit.series.push_back(std::move(h));
    cap.series.push_back(std::move(c));
    pol.series.push_back(std::move(p));
  }
  PlotSpec spec{title, byTime ? "hours since the first request" : "window", "", false, 1200, 900};
  if (auto st = plotPanels(path, spec, {hit, cap, pol}); !st) fail(st.message());
}

void runCompare(const CompareOptions& o) {
  // Build every controller first so a typo fails before any work.
  const auto specs = splitControllers(o.controllers);
  if (specs.empty()) fail("--controllers: none given");
  std::vector<std::unique_ptr<cachelib::Controller>> controllers;
  for (const auto& spec : specs) {
    // The DRL agent's specs (drl, drl-frozen) are built agent-side.
    // drl fine-tunes inline by default here, so the numbers are reproducible.
    auto c = agent::isAgentControllerSpec(spec)
                 ? agent::makeAgentController(spec, agent::AgentControllerOptions{!o.asyncFineTune})
                 : cachelib::makeController(spec);
    if (!c)
      fail(c.message() + (agent::isAgentControllerSpec(spec) ? "" : " (or the DRL agent: drl[:MODEL], drl-frozen[:MODEL])"));
    controllers.push_back(std::move(c.value()));
  }
  auto trace = loadTrace(o.trace);
  if (!trace) fail(trace.message());

  cachelib::ReplayEnvConfig env;
  auto& ctx = env.context;
  ctx.prices = cachelib::CostPrices{o.priceGbHour, o.priceEgressGb, o.priceResize};
  if (auto st = ctx.prices.check(); !st) fail("--price-*: " + st.message());
  auto floor = parseSizeList(o.floor, trace->workingSet.bytes);
  auto ceiling = parseSizeList(o.ceiling, trace->workingSet.bytes);
  if (!floor) fail("--floor: " + floor.message());
  if (!ceiling) fail("--ceiling: " + ceiling.message());
  ctx.floorBytes = std::max<std::uint64_t>(1, floor->front());
  ctx.ceilingBytes = std::max(ctx.floorBytes, ceiling->front());
  ctx.window.requests = o.window;
  ctx.window.seconds = o.windowSeconds;
  ctx.window.firstWindowShare = o.firstWindow;
  ctx.window.capacityGrid = cachelib::geometricGrid(ctx.floorBytes, ctx.ceilingBytes, o.gridPoints);
  ctx.window.shadowObjects = o.shadowObjects;
  if (o.sampling == "auto") {
    ctx.window.samplingRate = std::clamp(1e5 / double(trace->requests.size()), 0.001, 0.1);
  } else {
    try {
      ctx.window.samplingRate = std::stod(o.sampling);
    } catch (...) {
      fail("--sampling: expected a rate in (0, 1] or auto, got '" + o.sampling + "'");
    }
    if (!(ctx.window.samplingRate > 0 && ctx.window.samplingRate <= 1))
      fail("--sampling: expected a rate in (0, 1] or auto, got '" + o.sampling + "'");
  }
  env.requestRate = o.requestRate;
  if (env.requestRate <= 0 && !trace->hasTimestamps) {
    env.requestRate = 1000.0;
    std::fprintf(stderr, "note: %s has no timestamps; assuming 1000 requests/s (set --request-rate)\n",
                 trace->name.c_str());
  }
  std::fprintf(stderr,
               "prices: %s; capacity %s..%s; window %s (the first %g of it); what-if sampling %.4g, %zu policies x %zu "
               "sizes\n",
               ctx.prices.describe().c_str(), cachelib::humanBytes(double(ctx.floorBytes)).c_str(),
               cachelib::humanBytes(double(ctx.ceilingBytes)).c_str(),
               o.windowSeconds > 0 ? (std::to_string(o.windowSeconds) + " s").c_str()
                                   : (std::to_string(o.window) + " requests").c_str(),
               o.firstWindow,
               ctx.window.samplingRate, cachelib::onlinePolicies().size(), ctx.window.capacityGrid.size());

  std::vector<cachelib::ControlledResult> results(controllers.size());
  std::atomic<std::size_t> next{0};
  Progress progress("controllers", controllers.size());
  std::atomic<std::size_t> finished{0};
  auto worker = [&] {
    for (std::size_t i = next.fetch_add(1); i < controllers.size(); i = next.fetch_add(1)) {
      results[i] = cachelib::runControlled(trace->requests, *controllers[i], env);
      progress.update(finished.fetch_add(1) + 1);
    }
  };
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, unsigned(controllers.size()));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.finish();

  if (o.json) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      const auto& r = results[i];
      nlohmann::json j = {
          {"trace", trace->name},
          {"controller", r.controller},
          {"requests", r.stats.requests},
          {"hit_ratio", r.stats.requests ? double(r.stats.hits) / double(r.stats.requests) : 0.0},
          {"byte_hit_ratio", r.stats.bytesRequested ? double(r.stats.bytesHit) / double(r.stats.bytesRequested) : 0.0},
          {"mean_capacity_bytes", r.meanCapacityBytes},
          {"rental_cost", r.cost.rental},
          {"egress_cost", r.cost.egress},
          {"resize_cost", r.cost.resize},
          {"total_cost", r.cost.total()},
          {"decisions", r.decisions},
          {"policy_switches", r.policySwitches},
          {"requests_per_second", r.replaySeconds > 0 ? double(r.stats.requests) / r.replaySeconds : 0.0},
      };
      if (auto line = controllers[i]->summary(); !line.empty()) j["summary"] = line;
      fmt::print("{}\n", j.dump());
    }
  } else {
    fmt::print("trace {} | {} | window {}\n", trace->name, ctx.prices.describe(),
               o.windowSeconds > 0 ? fmt::format("{} s", o.windowSeconds) : fmt::format("{} requests", o.window));
    fmt::print("{:<28} {:>7} {:>7} {:>10} {:>11} {:>11} {:>11} {:>6} {:>6} {:>8}\n", "controller", "hit", "bytehit",
               "mean_cap", "rental_$", "egress_$", "total_$", "decis", "switch", "Mreq/s");
    for (const auto& r : results) {
      fmt::print("{:<28} {:>7.4f} {:>7.4f} {:>10} {:>11.5f} {:>11.5f} {:>11.5f} {:>6} {:>6} {:>8.2f}\n", r.controller,
                 r.stats.requests ? double(r.stats.hits) / double(r.stats.requests) : 0.0,
                 r.stats.bytesRequested ? double(r.stats.bytesHit) / double(r.stats.bytesRequested) : 0.0,
                 cachelib::humanBytes(r.meanCapacityBytes), r.cost.rental, r.cost.egress, r.cost.total(), r.decisions,
                 r.policySwitches, r.replaySeconds > 0 ? double(r.stats.requests) / r.replaySeconds / 1e6 : 0.0);
    }
    for (std::size_t i = 0; i < controllers.size(); ++i)
      if (auto line = controllers[i]->summary(); !line.empty()) fmt::print("{}: {}\n", results[i].controller, line);
  }
  if (!o.timeline.empty()) {
    writeTimeline(o.timeline, results);
    std::fprintf(stderr, "wrote %s\n", o.timeline.c_str());
  }
  if (!o.plot.empty()) {
    plotTimeline(o.plot, "Controllers on " + trace->name + " (" + ctx.prices.describe() + ")", results,
                 trace->hasTimestamps || env.requestRate > 0);
    std::fprintf(stderr, "wrote %s\n", o.plot.c_str());
  }
}

}  // namespace

void addCompareCommand(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Replay a trace under several controllers (capacity + policy per window) and compare costs");
  addTraceOptions(*cmd, o->trace);
  cmd->add_option("--controllers", o->controllers,
                  "Comma-separated: " + cachelib::controllerSpecHelp() + ", " + agent::agentControllerSpecHelp())
      ->capture_default_str();
  cmd->add_option("--window", o->window, "Decision window in requests")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1000000000000}))
      ->capture_default_str();
  cmd->add_option("--window-seconds", o->windowSeconds, "Decision window in trace seconds (overrides --window)")
      ->check(CLI::Range(0.0, 1e12));
  cmd->add_option("--first-window", o->firstWindow,
                  "The first window's length as a share of the others (every controller starts on a guess; "
                  "a short first window lets adaptive ones act on data soon). 1 = all equal")
      ->check(CLI::Range(0.0, 1.0).description("in (0, 1]"))
      ->capture_default_str();
  cmd->add_option("--price-gb-hour", o->priceGbHour, "Cache rental, $ per GB (1e9 B) per hour")->capture_default_str();
  cmd->add_option("--price-egress-gb", o->priceEgressGb, "Origin egress, $ per GB missed")->capture_default_str();
  cmd->add_option("--price-resize", o->priceResize, "$ per capacity change")->capture_default_str();
  cmd->add_option("--floor", o->floor, "Smallest capacity (bytes or fraction of the working set)")->capture_default_str();
  cmd->add_option("--ceiling", o->ceiling, "Largest capacity (bytes or fraction of the working set)")
      ->capture_default_str();
  cmd->add_option("--shadow-objects", o->shadowObjects,
                  "What-if shadows of a capacity halve their sampling rate while they hold more than twice this "
                  "many sampled objects (at most 3 times); 0 = every shadow at the sampling rate")
      ->capture_default_str();
  cmd->add_option("--grid-points", o->gridPoints, "What-if capacities (geometric from floor to ceiling)")
      ->capture_default_str();
  cmd->add_option("--sampling", o->sampling,
                  "Shadow-cache key sampling rate (e.g. 0.01), or auto = 1e5/requests clamped to [0.001, 0.1]")
      ->capture_default_str();
  cmd->add_option("--request-rate", o->requestRate,
                  "Requests per second to assume instead of trace times (default for traces without times: 1000)")
      ->check(CLI::Range(0.0, 1e12));
  cmd->add_option("--threads", o->threads, "Controllers replayed in parallel (0 = one per core)")->capture_default_str();
  cmd->add_flag("--json", o->json, "One JSON object per controller on stdout instead of a table");
  cmd->add_option("--plot", o->plot, "PNG of hit ratio, capacity and policy over time for every controller");
  cmd->add_option("--timeline", o->timeline, "CSV of every window's decision and cost");
  cmd->add_flag("--async-finetune", o->asyncFineTune,
                "drl: fine-tune on a background thread as the proxy does (results then depend on timing) instead of "
                "inline in the decision (the default: reproducible)");
  cmd->callback([o] { runCompare(*o); });
}

}  // namespace edgecache::bench
