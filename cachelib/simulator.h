#pragma once
// The trace-replay simulator: requests already decoded in memory are replayed
// through a Cache, one (policy, size) per run, many runs in parallel.
//
// The replay loop does nothing but Cache::access(); decoding and progress
// reporting stay outside the timed region (progress is called between chunks
// of kProgressChunk requests).

#include <atomic>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "cachelib/cache.h"
#include "cachelib/request.h"
#include "cachelib/status.h"

namespace edgecache::cachelib {

struct ReplayResult {
  PolicyId policy = 0;
  std::uint64_t cacheBytes = 0;
  CacheStats stats;
  std::vector<CacheStats> windows;  // per window of windowRequests requests, when asked for (else empty)
  double seconds = 0.0;  // wall time of the replay loop alone
  double requestsPerSecond() const noexcept { return seconds > 0 ? static_cast<double>(stats.requests) / seconds : 0.0; }
  double missRatio() const noexcept {
    return stats.requests ? static_cast<double>(stats.misses()) / static_cast<double>(stats.requests) : 0.0;
  }
  double byteMissRatio() const noexcept {
    return stats.bytesRequested ? static_cast<double>(stats.missBytes()) / static_cast<double>(stats.bytesRequested)
                                : 0.0;
  }
};

inline constexpr std::size_t kProgressChunk = 1u << 20;

// Called with the number of requests replayed so far by this run (or, for a
// grid, by all runs together). May be called from several threads.
using ProgressFn = std::function<void(std::uint64_t requestsDone)>;

// Replays `requests` through a new cache built from `config`. Fails only for
// an unknown policy id. windowRequests > 0 also records the stats of each
// consecutive window of that many requests (the last one may be shorter).
Result<ReplayResult> replay(std::span<const Request> requests, const CacheConfig& config,
                            const ProgressFn& progress = {}, std::uint64_t windowRequests = 0);

struct GridSpec {
  std::vector<PolicyId> policies;
  std::vector<std::uint64_t> sizesBytes;
  std::uint32_t metadataBytesPerObject = 0;
  unsigned threads = 0;  // 0 = std::thread::hardware_concurrency()
  std::uint64_t windowRequests = 0;  // > 0: per-window stats in ReplayResult::windows
};

// Every policy x every size, runs spread over `threads` worker threads
// (largest sizes first, for balance). Results in policy-major, size-minor
// order. Fails before running anything if a policy id is unknown.
Result<std::vector<ReplayResult>> replayGrid(std::span<const Request> requests, const GridSpec& spec,
                                             const ProgressFn& progress = {});

}  // namespace edgecache::cachelib
