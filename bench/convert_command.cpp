// edgecache-bench convert: any trace (or a synthetic one) to oracleGeneral.

#include <cstdio>

#include "bench/commands.h"
#include "bench/trace_options.h"
#include "traces/trace_writer.h"

namespace edgecache::bench {

namespace {

struct ConvertOptions {
  TraceOptions trace;
  std::string out;
};

void runConvert(const ConvertOptions& o) {
  auto trace = loadTrace(o.trace);
  if (!trace) failCommand("convert", trace.message());
  if (auto st = traces::writeOracleGeneral(o.out, trace->requests); !st) failCommand("convert", st.message());
  std::fprintf(stderr, "wrote %zu requests to %s\n", trace->requests.size(), o.out.c_str());
}

}  // namespace

void addConvertCommand(CLI::App& app) {
  auto o = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a trace (or write a synthetic one) to libCacheSim oracleGeneral, next-access indexes included");
  addTraceOptions(*cmd, o->trace);
  cmd->add_option("--out", o->out, "Output file; a .zst ending compresses it")->required();
  cmd->callback([o] { runConvert(*o); });
}

}  // namespace edgecache::bench
