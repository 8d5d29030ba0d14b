#include "cachelib/policy_registry.h"

#include <algorithm>
#include <array>

#include "cachelib/policies/arc_policy.h"
#include "cachelib/policies/belady_policy.h"
#include "cachelib/policies/clock_policy.h"
#include "cachelib/policies/fifo_policy.h"
#include "cachelib/policies/gdsf_policy.h"
#include "cachelib/policies/lfuda_policy.h"
#include "cachelib/policies/lru_policy.h"
#include "cachelib/policies/s3fifo_policy.h"
#include "cachelib/policies/sieve_policy.h"

namespace edgecache::cachelib {
namespace {

// One row per policy, in id order. Ids are stable forever (pinned by a test).
constexpr std::array kRegistry = {
    PolicyInfo{LruPolicy::kId, "lru", "least recently used", &LruPolicy::make, false},
    PolicyInfo{FifoPolicy::kId, "fifo", "first in, first out", &FifoPolicy::make, false},
    PolicyInfo{ClockPolicy::kId, "clock", "FIFO-reinsertion with a 1-bit reference flag", &ClockPolicy::make, false},
    PolicyInfo{LfudaPolicy::kId, "lfuda", "LFU with dynamic aging (priority = L + frequency)", &LfudaPolicy::make,
               false},
    PolicyInfo{ArcPolicy::kId, "arc", "ARC: adaptive recency/frequency lists with ghosts (byte-based)", &ArcPolicy::make,
               false},
    PolicyInfo{S3FifoPolicy::kId, "s3fifo", "S3-FIFO: small FIFO, main 2-bit Clock, ghost FIFO", &S3FifoPolicy::make,
               false},
    PolicyInfo{SievePolicy::kId, "sieve", "SIEVE: FIFO with a visited bit and a moving hand", &SievePolicy::make, false},
    PolicyInfo{GdsfPolicy::kId, "gdsf", "Greedy-Dual-Size-Frequency (priority = L + frequency / size)",
               &GdsfPolicy::make, false},
    PolicyInfo{BeladyPolicy::kId, "belady", "Belady's MIN: evicts the farthest next access (offline bound)",
               &BeladyPolicy::make, true},
};

constexpr bool idsAscending() {
  for (std::size_t i = 1; i < kRegistry.size(); ++i)
    if (kRegistry[i - 1].id >= kRegistry[i].id) return false;
  return true;
}
static_assert(idsAscending(), "registry rows must be in ascending, unique id order");

// The controller-selectable rows, filtered once.
const std::vector<PolicyInfo>& onlineRows() {
  static const std::vector<PolicyInfo> rows = [] {
    std::vector<PolicyInfo> out;
    for (const PolicyInfo& p : kRegistry)
      if (!p.offline) out.push_back(p);
    return out;
  }();
  return rows;
}

}  // namespace

std::span<const PolicyInfo> policyRegistry() noexcept { return kRegistry; }

std::span<const PolicyInfo> onlinePolicies() noexcept { return onlineRows(); }

const PolicyInfo* findPolicy(std::string_view name) noexcept {
  for (const PolicyInfo& p : kRegistry)
    if (p.name == name) return &p;
  return nullptr;
}

const PolicyInfo* findPolicy(PolicyId id) noexcept {
  for (const PolicyInfo& p : kRegistry)
    if (p.id == id) return &p;
  return nullptr;
}

std::string policyNames(bool includeOffline) {
  std::string out;
  for (const PolicyInfo& p : kRegistry) {
    if (p.offline && !includeOffline) continue;
    if (!out.empty()) out += ", ";
    out += p.name;
  }
  return out;
}

}  // namespace edgecache::cachelib
