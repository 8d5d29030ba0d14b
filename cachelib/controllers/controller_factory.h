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

// Where the controller will run. kLive (the proxy) refuses what only an
// offline replay can run: the hindsight oracle (it needs the next window's
// requests) and a static decision on an offline policy (Belady needs each
// request's next access).
enum class ControllerUse { kReplay, kLive };

// Builds a controller from its command-line spec ("static:lru:1GiB",
// "size-only", ...); an error names the spec and lists the accepted forms.
Result<std::unique_ptr<Controller>> makeController(const std::string& spec, ControllerUse use = ControllerUse::kReplay);

// The accepted spec forms on one line, for --help texts. `deployableOnly`
// leaves out the hindsight oracle, which needs the next window's requests
// (offline replay only: a live proxy cannot run it).
std::string controllerSpecHelp(bool deployableOnly = false);

}  // namespace edgecache::cachelib
