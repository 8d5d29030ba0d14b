#include "cachelib/controllers/static_controller.h"

#include "cachelib/byte_size.h"
#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

std::string StaticController::name() const {
  const PolicyInfo* p = findPolicy(fixed_.policy);
  return "static:" + std::string(p ? p->name : "?") + ":" + formatByteSize(fixed_.capacityBytes);
}

}  // namespace edgecache::cachelib
