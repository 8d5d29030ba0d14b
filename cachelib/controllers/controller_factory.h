#pragma once
// Building the non-learning controllers from command-line specs:
//   static:POLICY:SIZE         e.g. static:lru:1GiB
//   size-only[:POLICY]         e.g. size-only, size-only:s3fifo
//   strategy-only[:greedy|experts][:SIZE]
//   joint-greedy
//   oracle
// SIZE accepts byte sizes (512MiB) as parseByteSize does.

#include <memory>
#include <string>

#include "cachelib/controller.h"
#include "cachelib/status.h"

namespace edgecache::cachelib {

Result<std::unique_ptr<Controller>> makeController(const std::string& spec);

// One line per accepted spec form, for --help texts.
std::string controllerSpecHelp();

}  // namespace edgecache::cachelib
