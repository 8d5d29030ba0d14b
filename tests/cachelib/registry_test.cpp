// Registry ids are pinned: the agent's categorical action indexes them, and
// trained model files store them. Never renumber; append new ids.

#include <doctest/doctest.h>

#include <set>

#include "cachelib/policy_registry.h"

using namespace edgecache::cachelib;

TEST_CASE("registry ids are stable") {
  const std::pair<const char*, int> pinned[] = {{"lru", 0},    {"fifo", 1},   {"clock", 2}, {"lfuda", 3}, {"arc", 4},
                                                {"s3fifo", 5}, {"sieve", 6},  {"gdsf", 7},  {"belady", 8}};
  for (const auto& [name, id] : pinned) {
    CAPTURE(name);
    const PolicyInfo* p = findPolicy(name);
    REQUIRE(p != nullptr);
    CHECK(p->id == id);
    CHECK(findPolicy(static_cast<PolicyId>(id)) == p);
    CHECK(p->make()->id() == p->id);
    CHECK(p->make()->name() == p->name);
  }
  CHECK(policyRegistry().size() == std::size(pinned));
}

TEST_CASE("names are unique and only belady is offline") {
  std::set<std::string_view> names;
  for (const PolicyInfo& p : policyRegistry()) {
    CHECK(names.insert(p.name).second);
    CHECK(p.offline == (p.name == "belady"));
  }
  CHECK(onlinePolicies().size() + 1 == policyRegistry().size());
  CHECK(findPolicy("nope") == nullptr);
  CHECK(policyNames().find("s3fifo") != std::string::npos);
}
