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

// The accepted spec forms on one line, for --help texts. `deployableOnly`
// leaves out the hindsight oracle, which needs the next window's requests
// (offline replay only: a live proxy cannot run it).
std::string controllerSpecHelp(bool deployableOnly = false);

}  // namespace edgecache::cachelib
