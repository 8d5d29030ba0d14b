#include "cachelib/controllers/controller_factory.h"

#include <sstream>
#include <vector>

#include "cachelib/byte_size.h"
#include "cachelib/controllers/joint_greedy_controller.h"
#include "cachelib/controllers/oracle_controller.h"
#include "cachelib/controllers/size_only_controller.h"
#include "cachelib/controllers/static_controller.h"
#include "cachelib/controllers/strategy_only_controller.h"
#include "cachelib/policy_registry.h"

namespace edgecache::cachelib {

namespace {
using R = Result<std::unique_ptr<Controller>>;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, sep)) out.push_back(item);
  return out;
}

R bad(const std::string& spec, const std::string& why, ControllerUse use = ControllerUse::kReplay) {
  return R::error("controller '" + spec + "': " + why + " (accepted: " +
                  controllerSpecHelp(use == ControllerUse::kLive) + ")");
}
}  // namespace

std::string controllerSpecHelp(bool deployableOnly) {
  return std::string("static:POLICY:SIZE, size-only[:POLICY], strategy-only[:greedy|experts][:SIZE], joint-greedy") +
         (deployableOnly ? "" : ", oracle");
}

R makeController(const std::string& spec, ControllerUse use) {
  const bool live = use == ControllerUse::kLive;
  const auto parts = split(spec, ':');
  if (parts.empty()) return bad(spec, "empty", use);
  const std::string& kind = parts[0];
  auto policyOf = [&](const std::string& name) -> const PolicyInfo* { return findPolicy(name); };

  if (kind == "static") {
    if (parts.size() != 3) return bad(spec, "expected static:POLICY:SIZE");
    const PolicyInfo* p = policyOf(parts[1]);
    if (p == nullptr) return bad(spec, "unknown policy '" + parts[1] + "'", use);
    if (live && p->offline) return bad(spec, "'" + parts[1] + "' is an offline bound, not a live policy", use);
    auto size = parseByteSize(parts[2]);
    if (!size) return bad(spec, size.message());
    return std::unique_ptr<Controller>(new StaticController(Decision{size.value(), p->id}));
  }
  if (kind == "size-only") {
    if (parts.size() > 2) return bad(spec, "expected size-only[:POLICY]");
    SizeOnlyController::Options o;
    if (parts.size() == 2) {
      const PolicyInfo* p = policyOf(parts[1]);
      if (p == nullptr || p->offline) return bad(spec, "unknown or offline policy '" + parts[1] + "'");
      o.policy = p->id;
    }
    return std::unique_ptr<Controller>(new SizeOnlyController(o));
  }
  if (kind == "strategy-only") {
    StrategyOnlyController::Options o;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      if (parts[i] == "greedy") o.mode = StrategyOnlyController::Mode::kGreedy;
      else if (parts[i] == "experts") o.mode = StrategyOnlyController::Mode::kExperts;
      else {
        auto size = parseByteSize(parts[i]);
        if (!size) return bad(spec, "expected greedy, experts or a size, got '" + parts[i] + "'");
        o.capacityBytes = size.value();
      }
    }
    return std::unique_ptr<Controller>(new StrategyOnlyController(o));
  }
  if (kind == "joint-greedy" && parts.size() == 1)
    return std::unique_ptr<Controller>(new JointGreedyController(JointGreedyController::Options{}));
  if (kind == "oracle" && parts.size() == 1) {
    if (live) return bad(spec, "decides with hindsight of the next window's requests: offline only (edgecache-bench compare)", use);
    return std::unique_ptr<Controller>(new OracleController());
  }
  return bad(spec, "unknown controller", use);
}

}  // namespace edgecache::cachelib
