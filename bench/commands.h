#pragma once
// edgecache-bench subcommands. Each adds itself to the app; on failure its
// callback prints one line to stderr and throws CLI::RuntimeError(exitCode).

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>

namespace edgecache::bench {

// Prints "edgecache-bench COMMAND: MESSAGE" and ends the command with exit code 1.
[[noreturn]] inline void failCommand(const char* command, const std::string& message) {
  std::fprintf(stderr, "edgecache-bench %s: %s\n", command, message.c_str());
  throw CLI::RuntimeError(1);
}

void addMrcCommand(CLI::App& app);
void addReplayCommand(CLI::App& app);
void addConvertCommand(CLI::App& app);
void addPoliciesCommand(CLI::App& app);
void addCompareCommand(CLI::App& app);
void addShadowErrorCommand(CLI::App& app);
void addOverheadCommand(CLI::App& app);

}  // namespace edgecache::bench
