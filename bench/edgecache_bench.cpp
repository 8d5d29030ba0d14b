// edgecache-bench: replay traces through cache policies and controllers.

#include <cstdio>

#include <CLI/CLI.hpp>

#include "bench/commands.h"

int main(int argc, char** argv) {
  // Tables go to stdout, notes ("wrote FILE") and progress to stderr: line
  // buffering keeps them whole lines when both are redirected to one log.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
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
