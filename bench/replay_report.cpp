#include "bench/replay_report.h"

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cachelib/byte_size.h"
#include "cachelib/policy_registry.h"

namespace edgecache::bench {

void printReplayJson(std::FILE* out, const std::string& trace, const std::vector<cachelib::ReplayResult>& results) {
  for (const auto& r : results) {
    nlohmann::json j = {
        {"trace", trace},
        {"policy", std::string(cachelib::findPolicy(r.policy)->name)},
        {"cache_bytes", r.cacheBytes},
        {"requests", r.stats.requests},
        {"hits", r.stats.hits},
        {"misses", r.stats.misses()},
        {"bytes_requested", r.stats.bytesRequested},
        {"miss_bytes", r.stats.missBytes()},
        {"miss_ratio", r.missRatio()},
        {"byte_miss_ratio", r.byteMissRatio()},
        {"evictions", r.stats.evictions},
        {"seconds", r.seconds},
        {"requests_per_second", r.requestsPerSecond()},
    };
    fmt::print(out, "{}\n", j.dump());
  }
}

namespace {
// "512MiB" when exact, otherwise rounded ("84.3 MiB") rather than 20 digits.
std::string sizeLabel(std::uint64_t bytes) {
  const std::string exact = cachelib::formatByteSize(bytes);
  return exact.ends_with("iB") || bytes < 1024 ? exact : cachelib::humanBytes(double(bytes));
}
}  // namespace

void printReplayTable(std::FILE* out, const std::vector<cachelib::ReplayResult>& results) {
  fmt::print(out, "{:<8} {:>12} {:>11} {:>11} {:>10} {:>10} {:>10}\n", "policy", "cache_size", "requests", "misses",
             "miss_ratio", "byte_miss", "Mreq/s");
  for (const auto& r : results) {
    fmt::print(out, "{:<8} {:>12} {:>11} {:>11} {:>10.4f} {:>10.4f} {:>10.1f}\n", cachelib::findPolicy(r.policy)->name,
               sizeLabel(r.cacheBytes), r.stats.requests, r.stats.misses(), r.missRatio(),
               r.byteMissRatio(), r.requestsPerSecond() / 1e6);
  }
}

}  // namespace edgecache::bench
