#pragma once
// Printing replay results as a table or as JSON lines (shared by mrc/replay).

#include <cstdio>
#include <string>
#include <vector>

#include "cachelib/simulator.h"

namespace edgecache::bench {

// One JSON object per result, one per line (keys: trace, policy, cache_bytes,
// requests, hits, misses, miss_bytes, bytes_requested, miss_ratio,
// byte_miss_ratio, evictions, seconds, requests_per_second).
void printReplayJson(std::FILE* out, const std::string& trace, const std::vector<cachelib::ReplayResult>& results);
void printReplayTable(std::FILE* out, const std::vector<cachelib::ReplayResult>& results);

}  // namespace edgecache::bench
