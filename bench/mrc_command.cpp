// edgecache-bench mrc: miss-ratio curves, policies x sizes, in parallel.

#include <cstdio>
#include <map>

#include "bench/commands.h"
#include "bench/plot.h"
#include "bench/progress.h"
#include "bench/replay_report.h"
#include "bench/trace_options.h"
#include "cachelib/policy_registry.h"
#include "cachelib/simulator.h"

namespace edgecache::bench {

namespace {

struct MrcOptions {
  TraceOptions trace;
  std::string policies = "lru,fifo,clock,sieve,arc,s3fifo";
  std::string sizes = "0.1%,0.3%,1%,3%,10%,30%";
  std::uint32_t metadataBytes = 0;
  unsigned threads = 0;
  bool json = false;
  std::string plot;
};

[[noreturn]] void fail(const std::string& message) { failCommand("mrc", message); }

void runMrc(const MrcOptions& o) {
  auto policies = parsePolicyList(o.policies);
  if (!policies) fail(policies.message());
  auto trace = loadTrace(o.trace);
  if (!trace) fail(trace.message());
  auto sizes = parseSizeList(o.sizes, trace->workingSet.bytes);
  if (!sizes) fail(sizes.message());

  cachelib::GridSpec spec;
  spec.policies = policies.value();
  spec.sizesBytes = sizes.value();
  spec.metadataBytesPerObject = o.metadataBytes;
  spec.threads = o.threads;
  const std::uint64_t total = trace->requests.size() * spec.policies.size() * spec.sizesBytes.size();
  Progress progress("replaying", total);
  auto results = cachelib::replayGrid(trace->requests, spec, [&](std::uint64_t n) { progress.update(n); });
  progress.finish();
  if (!results) fail(results.message());

  if (o.json) printReplayJson(stdout, trace->name, results.value());
  else printReplayTable(stdout, results.value());

  if (!o.plot.empty()) {
    std::vector<Series> series;
    for (cachelib::PolicyId p : spec.policies) {
      Series s{std::string(cachelib::findPolicy(p)->name), {}};
      std::map<std::uint64_t, double> bySize;
      for (const auto& r : results.value())
        if (r.policy == p) bySize[r.cacheBytes] = r.missRatio();
      for (const auto& [size, mr] : bySize) s.points.emplace_back(static_cast<double>(size) / 1048576.0, mr);
      series.push_back(std::move(s));
    }
    PlotSpec ps{"Miss ratio curve: " + trace->name, "cache size (MiB)", "miss ratio", true};
    if (auto st = plotLines(o.plot, ps, series); !st) fail(st.message());
    std::fprintf(stderr, "wrote %s\n", o.plot.c_str());
  }
}

}  // namespace

void addMrcCommand(CLI::App& app) {
  auto o = std::make_shared<MrcOptions>();
  CLI::App* cmd = app.add_subcommand("mrc", "Miss-ratio curves: replay one trace through policies x cache sizes in parallel");
  addTraceOptions(*cmd, o->trace);
  cmd->add_option("--policies", o->policies, "Comma-separated policies, or all / online")->capture_default_str();
  cmd->add_option("--sizes", o->sizes,
                  "Comma-separated cache sizes: bytes with KiB/MiB/GiB suffixes, or fractions of the working set "
                  "(0.05 or 5%)")
      ->capture_default_str();
  cmd->add_option("--metadata-bytes", o->metadataBytes, "Bytes charged per cached object besides its size")
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (0 = one per core)")->capture_default_str();
  cmd->add_flag("--json", o->json, "One JSON object per (policy, size) on stdout instead of a table");
  cmd->add_option("--plot", o->plot, "Also draw miss ratio vs size per policy to this PNG");
  cmd->callback([o] { runMrc(*o); });
}

}  // namespace edgecache::bench
