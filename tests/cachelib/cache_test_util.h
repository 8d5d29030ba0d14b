#pragma once
// Small builders shared by the cachelib tests.

#include <cstdint>
#include <memory>
#include <string_view>

#include <doctest/doctest.h>

#include "cachelib/cache.h"
#include "cachelib/policy_registry.h"

namespace edgecache::cachelib::testutil {

inline Request req(std::uint64_t key, std::uint64_t size, std::int64_t next = kNoNextAccess) {
  Request r;
  r.key = key;
  r.sizeBytes = size;
  r.nextAccessIndex = next;
  return r;
}

inline std::unique_ptr<Cache> makeCache(PolicyId policy, std::uint64_t capacityBytes) {
  CacheConfig cfg;
  cfg.capacityBytes = capacityBytes;
  cfg.policy = policy;
  auto made = Cache::create(cfg);
  REQUIRE(made.isOk());
  return std::move(made.value());
}

inline std::unique_ptr<Cache> makeCache(std::string_view policyName, std::uint64_t capacityBytes) {
  const PolicyInfo* p = findPolicy(policyName);
  REQUIRE(p != nullptr);
  return makeCache(p->id, capacityBytes);
}

}  // namespace edgecache::cachelib::testutil
