#pragma once
// Building the agent's controllers from command-line specs (the agent-side
// counterpart of cachelib::makeController):
//   drl[:FILE]          the DRL agent with online sliding-window fine-tuning
//                       (OnlineDrlController); no FILE = the shipped default model.
//   drl-frozen[:FILE]   the DRL agent with frozen weights (pure inference)
// Returns an error for specs it does not know (isAgentControllerSpec false)
// and for model files that cannot be used (one line naming the file).

#include <memory>
#include <string>

#include "cachelib/controller.h"
#include "cachelib/status.h"

namespace edgecache::agent {

struct AgentControllerOptions {
  // drl: run fine-tunes synchronously inside decide() (deterministic, for
  // reproducible offline numbers) instead of on a background thread (the
  // default, what a live proxy needs).
  bool inlineFineTune = false;
};

cachelib::Result<std::unique_ptr<cachelib::Controller>> makeAgentController(const std::string& spec,
                                                                            const AgentControllerOptions& options = {});
// True when `spec` names an agent controller (drl, drl:..., drl-frozen...).
bool isAgentControllerSpec(const std::string& spec);
// One line for --help texts.
std::string agentControllerSpecHelp();

}  // namespace edgecache::agent
