// edgecache-bench policies: the policy registry as a table.

#include <fmt/core.h>

#include "bench/commands.h"
#include "cachelib/policy_registry.h"

namespace edgecache::bench {

void addPoliciesCommand(CLI::App& app) {
  CLI::App* cmd = app.add_subcommand("policies", "List the registered replacement policies (id, name, bytes per object)");
  cmd->callback([] {
    fmt::print("{:>3}  {:<8} {:>10}  {}\n", "id", "name", "bytes/obj", "description");
    for (const auto& p : cachelib::policyRegistry())
      fmt::print("{:>3}  {:<8} {:>10}  {}{}\n", p.id, p.name, p.make()->metadataBytesPerObject(), p.description,
                 p.offline ? " (offline bound; needs next-access indexes)" : "");
  });
}

}  // namespace edgecache::bench
