#include "cachelib/simulator.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <numeric>
#include <thread>

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

Result<ReplayResult> replay(std::span<const Request> requests, const CacheConfig& config, const ProgressFn& progress,
                            std::uint64_t windowRequests) {
  auto made = Cache::create(config);
  if (!made) return made.status();
  Cache& cache = *made.value();
  ReplayResult out;
  double seconds = 0.0;
  CacheStats windowStart;
  std::size_t nextProgress = kProgressChunk;
  std::size_t nextWindow = windowRequests > 0 ? windowRequests : requests.size();
  for (std::size_t begin = 0; begin < requests.size();) {
    const std::size_t end = std::min({requests.size(), nextProgress, nextWindow});
    const auto t0 = std::chrono::steady_clock::now();
    for (std::size_t i = begin; i < end; ++i) (void)cache.access(requests[i]);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (windowRequests > 0 && (end == nextWindow || end == requests.size())) {
      const CacheStats& now = cache.stats();
      out.windows.push_back(CacheStats{now.requests - windowStart.requests, now.hits - windowStart.hits,
                                       now.bytesRequested - windowStart.bytesRequested,
                                       now.bytesHit - windowStart.bytesHit, now.evictions - windowStart.evictions});
      windowStart = now;
      nextWindow += windowRequests;
    }
    if (end == nextProgress || end == requests.size()) {
      if (progress) progress(end);
      nextProgress += kProgressChunk;
    }
    begin = end;
  }
  out.policy = config.policy;
  out.cacheBytes = config.capacityBytes;
  out.stats = cache.stats();
  out.seconds = seconds;
  return out;
}

Result<std::vector<ReplayResult>> replayGrid(std::span<const Request> requests, const GridSpec& spec,
                                             const ProgressFn& progress) {
  for (PolicyId p : spec.policies)
    if (findPolicy(p) == nullptr) return Result<std::vector<ReplayResult>>::error("unknown policy id " + std::to_string(p));

  const std::size_t runs = spec.policies.size() * spec.sizesBytes.size();
  std::vector<ReplayResult> results(runs);
  // Largest caches first: they take longest (more resident state), so the
  // pool finishes evenly.
  std::vector<std::size_t> order(runs);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return spec.sizesBytes[a % spec.sizesBytes.size()] > spec.sizesBytes[b % spec.sizesBytes.size()];
  });

  std::atomic<std::size_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::mutex progressMutex;
  auto worker = [&] {
    for (std::size_t k = next.fetch_add(1); k < runs; k = next.fetch_add(1)) {
      const std::size_t run = order[k];
      CacheConfig cfg;
      cfg.policy = spec.policies[run / spec.sizesBytes.size()];
      cfg.capacityBytes = spec.sizesBytes[run % spec.sizesBytes.size()];
      cfg.metadataBytesPerObject = spec.metadataBytesPerObject;
      std::uint64_t reported = 0;
      auto r = replay(
          requests, cfg,
          [&](std::uint64_t n) {
            const std::uint64_t total = done.fetch_add(n - reported) + (n - reported);
            reported = n;
            if (progress) {
              std::lock_guard lock(progressMutex);
              progress(total);
            }
          },
          spec.windowRequests);
      results[run] = std::move(r.value());  // policy ids were validated above
    }
  };
  unsigned threads = spec.threads != 0 ? spec.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, std::max<std::size_t>(runs, 1)));
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return results;
}

}  // namespace edgecache::cachelib
