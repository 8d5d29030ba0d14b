#pragma once
// The policy registry: one table row per policy (stable numeric id, name,
// factory). Ids are pinned by a test because the agent's categorical action
// indexes them. Adding a policy = its .h/.cpp pair + one row in
// policy_registry.cpp + its test.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cachelib/policy.h"

namespace edgecache::cachelib {

struct PolicyInfo {
  PolicyId id;
  std::string_view name;         // lower-case, used on command lines and in reports
  std::string_view description;  // one line for --help
  // Builds an empty policy for a cache of `capacityBytes` (it also receives
  // onCapacityChange before first use).
  std::unique_ptr<Policy> (*make)();
  // True for offline bounds (Belady) that need Request::nextAccessIndex and
  // are never a choice for controllers.
  bool offline;
};

// All registered policies, in id order.
std::span<const PolicyInfo> policyRegistry() noexcept;
// nullptr when unknown.
const PolicyInfo* findPolicy(std::string_view name) noexcept;
const PolicyInfo* findPolicy(PolicyId id) noexcept;
// The online (controller-selectable) policies, in id order.
std::span<const PolicyInfo> onlinePolicies() noexcept;
// "lru, fifo, ..." for error messages and --help.
std::string policyNames(bool includeOffline = true);

}  // namespace edgecache::cachelib
