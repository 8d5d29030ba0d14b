#include "agent/agent_controllers.h"

#include "agent/drl_controller.h"
#include "agent/online_drl_controller.h"

namespace edgecache::agent {

namespace {
bool hasKind(const std::string& spec, const std::string& kind) {
  return spec == kind || spec.rfind(kind + ":", 0) == 0;
}
}  // namespace

bool isAgentControllerSpec(const std::string& spec) { return hasKind(spec, "drl") || hasKind(spec, "drl-frozen"); }

std::string agentControllerSpecHelp() {
  return "drl[:MODEL] (online sliding-window fine-tuning; default model when omitted), drl-frozen[:MODEL]";
}

cachelib::Result<std::unique_ptr<cachelib::Controller>> makeAgentController(const std::string& spec,
                                                                            const AgentControllerOptions& options) {
  using R = cachelib::Result<std::unique_ptr<cachelib::Controller>>;
  if (!isAgentControllerSpec(spec)) return R::error("controller '" + spec + "': not an agent controller");
  const bool frozen = hasKind(spec, "drl-frozen");
  const std::string kind = frozen ? "drl-frozen" : "drl";
  std::string path = spec.size() > kind.size() ? spec.substr(kind.size() + 1) : std::string();
  if (spec.size() > kind.size() && path.empty()) return R::error("controller '" + spec + "': empty model path");
  if (path.empty()) path = defaultModelPath();
  if (frozen) {
    auto c = DrlController::load(path, DrlController::Options{kind});
    if (!c) return R::error("controller '" + spec + "': " + c.message());
    return std::unique_ptr<cachelib::Controller>(std::move(c.value()));
  }
  OnlineDrlController::Options online;
  online.label = kind;
  online.inlineFineTune = options.inlineFineTune;
  auto c = OnlineDrlController::load(path, std::move(online));
  if (!c) return R::error("controller '" + spec + "': " + c.message());
  return std::unique_ptr<cachelib::Controller>(std::move(c.value()));
}

}  // namespace edgecache::agent
