// edgecache-bench: replay traces through cache policies and controllers.

#include <CLI/CLI.hpp>

#include "bench/commands.h"

int main(int argc, char** argv) {
  CLI::App app{
      "edgecache-bench: replay request traces through edgecache's cache policies.\n"
      "Traces: --trace FILE (oracleGeneral[.zst], csv, tr, txt, u32be, tencent) or a seeded\n"
      "synthetic workload (--synthetic stationary|rotating|flash|arrivals|video). Run a command with --help."};
  app.require_subcommand(1);
  edgecache::bench::addMrcCommand(app);
  edgecache::bench::addReplayCommand(app);
  edgecache::bench::addConvertCommand(app);
  edgecache::bench::addPoliciesCommand(app);
  edgecache::bench::addCompareCommand(app);
  edgecache::bench::addShadowErrorCommand(app);
  edgecache::bench::addOverheadCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
