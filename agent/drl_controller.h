#pragma once
// DrlController: the deep-RL agent as a cachelib::Controller, for frozen
// inference. Each window it encodes the features (features.h), runs the
// actor-critic once and takes the deterministic action: the most likely
// policy and the mode of that policy's capacity distribution, mapped into
// [floor, ceiling] in log-bytes.
//
// Cost: one small forward pass per window: tens of microseconds through
// LibTorch (one torch thread, InferenceMode), a few microseconds for model
// files whose engine is "plain" (compressed edge models, PlainNetwork); other
// engines as compression.h's makeEvaluator builds them. Thread safety: one controller per control loop
// (not synchronised); several controllers may share one model.
// Failure: decide() cannot fail; if inference throws (it should not) the
// controller keeps its previous decision and lastError() says why.

#include <functional>
#include <memory>
#include <string>

#include "cachelib/controller.h"
#include "cachelib/status.h"

namespace edgecache::agent {

class ActorCritic;
class FeatureEncoder;
struct Observation;
struct PolicyOutput;

class DrlController final : public cachelib::Controller {
 public:
  struct Options {
    std::string label = "drl-frozen";  // name() is "<label>:<model file name>"
  };
  // Loads `modelPath` (refused with a one-line message when incompatible);
  // engine=torch files run on ActorCritic, the others (compressed models) on
  // the engine the file names (makeEvaluator in compression.h).
  static cachelib::Result<std::unique_ptr<DrlController>> load(const std::string& modelPath, Options options);
  // Shares an already loaded model (must stay unmodified while in use).
  DrlController(std::shared_ptr<const ActorCritic> model, std::string modelName, Options options);
  // Any other inference path (compressed edge models): normalises and runs
  // the network on a raw observation; false = failed.
  using Evaluator = std::function<bool(const Observation& raw, PolicyOutput& out)>;
  DrlController(Evaluator evaluator, std::string modelName, Options options);
  ~DrlController() override;

  std::string name() const override;
  cachelib::Decision start(const cachelib::ControlContext& context) override;
  cachelib::Decision decide(const cachelib::WindowFeatures& features) override;

  const std::string& lastError() const noexcept { return lastError_; }

 private:
  std::shared_ptr<const ActorCritic> model_;
  Evaluator evaluator_;  // set instead of model_ for compressed (non-torch engine) files
  std::string modelName_;
  Options options_;
  cachelib::ControlContext context_;
  std::unique_ptr<FeatureEncoder> encoder_;
  cachelib::Decision current_;
  std::string lastError_;
};

// The shipped default model (agent/models/default.ecdrl in the source tree).
std::string defaultModelPath();

}  // namespace edgecache::agent
