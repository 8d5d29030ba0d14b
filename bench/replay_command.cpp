// edgecache-bench replay: one policy at one size, with throughput.

#include <cstdio>

#include "bench/commands.h"
#include "bench/progress.h"
#include "bench/replay_report.h"
#include "bench/trace_options.h"
#include "cachelib/policy_registry.h"
#include "cachelib/simulator.h"

namespace edgecache::bench {

namespace {

struct ReplayOptions {
  TraceOptions trace;
  std::string policy = "lru";
  std::string size = "10%";
  std::uint32_t metadataBytes = 0;
  unsigned repeat = 1;
  bool json = false;
};

[[noreturn]] void fail(const std::string& message) { failCommand("replay", message); }

void runReplay(const ReplayOptions& o) {
  auto policies = parsePolicyList(o.policy);
  if (!policies) fail(policies.message());
  if (policies->size() != 1) fail("--policy takes exactly one policy (use mrc for several)");
  auto trace = loadTrace(o.trace);
  if (!trace) fail(trace.message());
  auto sizes = parseSizeList(o.size, trace->workingSet.bytes);
  if (!sizes) fail(sizes.message());
  if (sizes->size() != 1) fail("--size takes exactly one size (use mrc for several)");

  cachelib::CacheConfig cfg;
  cfg.policy = policies->front();
  cfg.capacityBytes = sizes->front();
  cfg.metadataBytesPerObject = o.metadataBytes;
  // Repeats report the fastest run: the replay is deterministic, only the time varies.
  cachelib::ReplayResult best;
  for (unsigned i = 0; i < std::max(1u, o.repeat); ++i) {
    Progress progress("replaying", trace->requests.size());
    auto r = cachelib::replay(trace->requests, cfg, [&](std::uint64_t n) { progress.update(n); });
    progress.finish();
    if (!r) fail(r.message());
    if (i == 0 || r->seconds < best.seconds) best = r.value();
  }
  if (o.json) printReplayJson(stdout, trace->name, {best});
  else printReplayTable(stdout, {best});
}

}  // namespace

void addReplayCommand(CLI::App& app) {
  auto o = std::make_shared<ReplayOptions>();
  CLI::App* cmd = app.add_subcommand("replay", "Replay one trace through one policy at one size, timing the replay loop");
  addTraceOptions(*cmd, o->trace);
  cmd->add_option("--policy", o->policy, "Policy name (lru, fifo, clock, lfuda, arc, s3fifo, sieve, gdsf, belady)")
      ->capture_default_str();
  cmd->add_option("--size", o->size, "Cache size: bytes (512MiB, 1048576) or a fraction of the working set (0.1, 10%)")
      ->capture_default_str();
  cmd->add_option("--metadata-bytes", o->metadataBytes, "Bytes charged per cached object besides its size")
      ->capture_default_str();
  cmd->add_option("--repeat", o->repeat, "Replay N times and report the fastest (throughput measurement)")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "One JSON object on stdout instead of a table");
  cmd->callback([o] { runReplay(*o); });
}

}  // namespace edgecache::bench
