#pragma once
// The trace-selection options every edgecache-bench command shares:
// --trace FILE [--format F] [--csv-cols ...] or --synthetic PRESET [--seed N]
// [--requests N], and loading the chosen trace into memory with a summary.

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cachelib/policy.h"
#include "cachelib/request.h"
#include "cachelib/status.h"
#include "traces/trace_reader.h"

namespace edgecache::bench {

struct TraceOptions {
  std::string trace;        // path; empty = synthetic
  std::string format;       // empty = by extension
  std::string csvColumns;   // "time=2,key=5,size=4"
  std::string csvHeader = "auto";
  std::string synthetic = "rotating";
  std::uint64_t seed = 42;
  std::uint64_t requests = 0;  // 0 = preset's own / whole trace
  std::uint64_t objects = 0;   // synthetic catalogue size; 0 = preset's own
  double oneHitShare = 0.0;    // synthetic one-hit-wonder share of requests
  bool keepZeroSize = false;
};

void addTraceOptions(CLI::App& cmd, TraceOptions& options);

struct LoadedTrace {
  std::vector<cachelib::Request> requests;
  std::string name;                     // file name or "synthetic:rotating(seed=42)"
  traces::WorkingSet workingSet;
  bool hasTimestamps = false;
  bool unitSize = false;
  double loadSeconds = 0.0;
};

// Reads or generates; prints a one-line summary to stderr unless quiet.
cachelib::Result<LoadedTrace> loadTrace(const TraceOptions& options, bool quiet = false);

// "128MiB,1GiB,0.1,5%": byte sizes, or fractions (0<x<1, or N%) of the working set bytes.
cachelib::Result<std::vector<std::uint64_t>> parseSizeList(const std::string& list, std::uint64_t workingSetBytes);
// "0.1,0.01": sampling rates, each in (0, 1].
cachelib::Result<std::vector<double>> parseRateList(const std::string& list);
// "lru,fifo" or "all" (every registered policy) or "online" (all but offline bounds).
cachelib::Result<std::vector<cachelib::PolicyId>> parsePolicyList(const std::string& list);

}  // namespace edgecache::bench
