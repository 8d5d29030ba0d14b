#pragma once
// strategy-only: a fixed capacity; the policy adapts.
//  * greedy: each window switch to the policy whose shadow cache had the
//    highest byte hit ratio at this capacity (with hysteresis), i.e. the
//    lowest estimated egress.
//  * experts: a regret-minimising mixture in the style of LeCaR/CACHEUS:
//    one weight per policy, multiplied each window by exp(-learningRate x
//    loss), loss = the policy's estimated missed bytes normalised by the
//    window's bytes; the policy with the largest weight is in force. Weights
//    are floored so a policy that was bad once can come back when the
//    workload changes (the "discount" that makes LeCaR follow phases).

#include <vector>

#include "cachelib/controller.h"

namespace edgecache::cachelib {

class StrategyOnlyController final : public Controller {
 public:
  enum class Mode { kGreedy, kExperts };
  struct Options {
    Mode mode = Mode::kGreedy;
    std::uint64_t capacityBytes = 0;  // 0 = geometric mean of floor and ceiling
    PolicyId initialPolicy = 0;
    double hysteresis = 0.01;         // greedy: byte-hit-ratio margin to switch
    double learningRate = 4.0;        // experts
    double weightFloor = 1e-3;        // experts: weights never fall below this share
  };
  explicit StrategyOnlyController(Options options) : options_(options) {}
  std::string name() const override;
  Decision start(const ControlContext& context) override;
  Decision decide(const WindowFeatures& features) override;

 private:
  Options options_;
  Decision current_;
  std::vector<double> weights_;
};

}  // namespace edgecache::cachelib
