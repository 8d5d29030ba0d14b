#pragma once
// joint-greedy: each window picks the (policy, capacity) pair on the what-if
// grid that minimises the last window's estimated cost (rental + egress,
// plus the resize fee when the capacity changes), with hysteresis. A strong, simple joint heuristic: the learning controller
// has to beat this one too.

#include "cachelib/controller.h"

namespace edgecache::cachelib {

class JointGreedyController final : public Controller {
 public:
  struct Options {
    double hysteresis = 0.03;  // fraction of the current estimate a change must save
  };
  explicit JointGreedyController(Options options) : options_(options) {}
  std::string name() const override { return "joint-greedy"; }
  Decision start(const ControlContext& context) override;
  Decision decide(const WindowFeatures& features) override;

 private:
  Options options_;
  ControlContext context_;
  Decision current_;
};

}  // namespace edgecache::cachelib
