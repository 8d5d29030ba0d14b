#include "agent/drl_controller.h"

#include <cstdlib>
#include <filesystem>

#include "agent/actor_critic.h"
#include "agent/features.h"
#include "agent/model_file.h"
#include "agent/compression.h"

namespace edgecache::agent {

std::string defaultModelPath() {
  // An operator override first, then the checkout this binary was built
  // from, then the installed copy; the last candidate is returned even when
  // missing so the load error names where it was expected.
  namespace fs = std::filesystem;
  if (const char* dir = std::getenv("EDGECACHE_MODEL_DIR"); dir != nullptr && *dir != '\0')
    return (fs::path(dir) / "default.ecdrl").string();
  const fs::path source = fs::path(EDGECACHE_AGENT_SOURCE_MODEL_DIR) / "default.ecdrl";
  std::error_code ec;
  if (fs::exists(source, ec)) return source.string();
  return (fs::path(EDGECACHE_AGENT_INSTALLED_MODEL_DIR) / "default.ecdrl").string();
}

cachelib::Result<std::unique_ptr<DrlController>> DrlController::load(const std::string& modelPath, Options options) {
  auto file = readModelFile(modelPath);
  if (!file) return file.status();
  if (file->engine != InferenceEngine::kTorch) {
    auto evaluator = makeEvaluator(file.value(), modelPath);
    if (!evaluator) return evaluator.status();
    return std::make_unique<DrlController>(std::move(evaluator.value()),
                                           std::filesystem::path(modelPath).filename().string(), std::move(options));
  }
  auto model = ActorCritic::fromModelFile(file.value(), modelPath);
  if (!model) return model.status();
  return std::make_unique<DrlController>(std::shared_ptr<const ActorCritic>(std::move(model.value())),
                                         std::filesystem::path(modelPath).filename().string(), std::move(options));
}

DrlController::DrlController(std::shared_ptr<const ActorCritic> model, std::string modelName, Options options)
    : model_(std::move(model)), modelName_(std::move(modelName)), options_(std::move(options)) {}

DrlController::DrlController(Evaluator evaluator, std::string modelName, Options options)
    : evaluator_(std::move(evaluator)), modelName_(std::move(modelName)), options_(std::move(options)) {}

DrlController::~DrlController() = default;

std::string DrlController::name() const { return options_.label + ":" + modelName_; }

cachelib::Decision DrlController::start(const cachelib::ControlContext& context) {
  context_ = context;
  encoder_ = std::make_unique<FeatureEncoder>(context, actionPolicyIds());
  current_ = initialDecision(context);
  return current_;
}

cachelib::Decision DrlController::decide(const cachelib::WindowFeatures& features) {
  if (!encoder_) start(context_);
  Observation obs;
  encoder_->encode(features, obs);
  PolicyOutput fast;
  auto out = evaluator_ ? (evaluator_(obs, fast) ? cachelib::Result<PolicyOutput>(std::move(fast))
                                                 : cachelib::Result<PolicyOutput>::error("inference failed"))
                        : model_->evaluate(obs);
  if (!out) {
    lastError_ = out.message();
    return current_;
  }
  const Action a = deterministicAction(out.value());
  const auto ids = actionPolicyIds();
  current_ = cachelib::Decision{capacityFromAction(context_, a.capacityAction), ids.at(a.policyIndex)};
  return current_;
}

}  // namespace edgecache::agent
