// edgecache-bench shadow-error: validates the sampled what-if estimates
// against exact simulation, per sampling rate.

#include <cstdio>
#include <sstream>

#include <fmt/core.h>

#include "bench/commands.h"
#include "bench/plot.h"
#include "bench/trace_options.h"
#include "cachelib/byte_size.h"
#include "cachelib/policy_registry.h"
#include "cachelib/shadow_accuracy.h"

namespace edgecache::bench {

namespace {

struct ShadowErrorOptions {
  TraceOptions trace;
  std::string policies = "online";
  std::string sizes = "1%,2%,5%,10%,20%,50%";
  std::string rates = "0.1,0.01,0.001";
  std::uint64_t window = 100'000;
  unsigned samples = 5;
  std::size_t shadowObjects = cachelib::WindowConfig{}.shadowObjects;
  std::uint32_t maxRateHalvings = cachelib::WindowConfig{}.maxRateHalvings;
  std::string plot;
  std::string plotPolicy = "lru";
};

[[noreturn]] void fail(const std::string& message) { failCommand("shadow-error", message); }

void runShadowError(const ShadowErrorOptions& o) {
  auto policies = parsePolicyList(o.policies);
  if (!policies) fail(policies.message());
  auto trace = loadTrace(o.trace);
  if (!trace) fail(trace.message());
  auto sizes = parseSizeList(o.sizes, trace->workingSet.bytes);
  if (!sizes) fail(sizes.message());
  auto parsedRates = parseRateList(o.rates);
  if (!parsedRates) fail("--rates: " + parsedRates.message());
  const std::vector<double> rates = parsedRates.value();
  for (cachelib::PolicyId id : policies.value())
    if (cachelib::findPolicy(id)->offline)
      fail("--policies: " + std::string(cachelib::findPolicy(id)->name) + " is an offline bound, not a what-if policy");
  fmt::print("trace {}: what-if miss ratio error vs exact simulation ({} policies x {} sizes, windows of {} requests, "
             "shadow objects {}, max rate halvings {}; errors averaged over {} key samples)\n",
             trace->name, policies->size(), sizes->size(), o.window, o.shadowObjects, o.maxRateHalvings,
             std::max(1u, o.samples));
  fmt::print("{:>9} {:>14} {:>14} {:>19} {:>20} {:>17}\n", "sampling", "mean |error|", "max |error|",
             "mean |byte error|", "mean |window error|", "shadow acc/req");
  std::vector<cachelib::ShadowAccuracy> all;
  for (double r : rates) {
    cachelib::WindowConfig wc;
    wc.requests = o.window;
    wc.samplingRate = r;
    wc.capacityGrid = sizes.value();
    wc.shadowPolicies = policies.value();
    wc.shadowObjects = o.shadowObjects;
    wc.maxRateHalvings = o.maxRateHalvings;
    auto acc = cachelib::measureShadowAccuracy(trace->requests, wc, std::max(1u, o.samples));
    if (!acc) fail(acc.message());
    fmt::print("{:>9.4g} {:>14.4f} {:>14.4f} {:>19.4f} {:>20.4f} {:>17.3f}\n", r, acc->meanAbsError,
               acc->maxAbsError, acc->meanAbsByteError, acc->meanAbsWindowError, acc->shadowAccessesPerRequest);
    all.push_back(std::move(acc.value()));
  }
  if (!o.plot.empty()) {
    const cachelib::PolicyInfo* p = cachelib::findPolicy(o.plotPolicy);
    if (p == nullptr) fail("--plot-policy: unknown policy '" + o.plotPolicy + "'");
    std::vector<Series> series;
    Series exact{"exact", {}};
    for (const auto& pt : all.front().points)
      if (pt.policy == p->id) exact.points.emplace_back(double(pt.capacityBytes) / 1048576.0, pt.exactMissRatio);
    series.push_back(exact);
    for (const auto& acc : all) {
      Series s{fmt::format("sampled {:.3g}", acc.samplingRate), {}};
      for (const auto& pt : acc.points)
        if (pt.policy == p->id) s.points.emplace_back(double(pt.capacityBytes) / 1048576.0, pt.estimatedMissRatio);
      series.push_back(std::move(s));
    }
    PlotSpec spec{"Shadow estimate vs exact, " + std::string(p->name) + ", " + trace->name, "cache size (MiB)",
                  "miss ratio", true};
    if (auto st = plotLines(o.plot, spec, series); !st) fail(st.message());
    std::fprintf(stderr, "wrote %s\n", o.plot.c_str());
  }
}

}  // namespace

void addShadowErrorCommand(CLI::App& app) {
  auto o = std::make_shared<ShadowErrorOptions>();
  CLI::App* cmd = app.add_subcommand("shadow-error",
                                     "Validate the sampled shadow-cache (what-if) miss ratios against exact simulation");
  addTraceOptions(*cmd, o->trace);
  cmd->add_option("--policies", o->policies, "Policies (or all / online)")->capture_default_str();
  cmd->add_option("--sizes", o->sizes, "Cache sizes (bytes or fractions of the working set)")->capture_default_str();
  cmd->add_option("--rates", o->rates, "Sampling rates to validate")->capture_default_str();
  cmd->add_option("--window", o->window, "Window length in requests (0 = the whole trace)")->capture_default_str();
  cmd->add_option("--samples", o->samples, "Key samples (hash salts) the errors are averaged over")
      ->capture_default_str();
  cmd->add_option("--shadow-objects", o->shadowObjects,
                  "Sampled objects a shadow may hold before it halves its rate (0 = one rate for all)")
      ->capture_default_str();
  cmd->add_option("--max-rate-halvings", o->maxRateHalvings, "A shadow's rate stays >= rate / 2^this")
      ->capture_default_str();
  cmd->add_option("--plot", o->plot, "PNG: exact vs estimated miss-ratio curve of --plot-policy at every rate");
  cmd->add_option("--plot-policy", o->plotPolicy, "Policy drawn by --plot")->capture_default_str();
  cmd->callback([o] { runShadowError(*o); });
}

}  // namespace edgecache::bench
