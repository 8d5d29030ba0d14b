#include "cachelib/policy.h"

#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

std::string_view Policy::name() const noexcept {
  const PolicyInfo* info = findPolicy(id());
  return info != nullptr ? info->name : std::string_view("?");
}

void Policy::seed(std::span<const SeedEntry> coldToHot) noexcept {
  for (const SeedEntry& e : coldToHot) {
    Request r;
    r.key = e.key;
    r.sizeBytes = e.chargedBytes;
    onInsert(e.slot, r, e.chargedBytes);
  }
}

}  // namespace edgecache::cachelib
