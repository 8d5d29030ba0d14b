#pragma once
// size-only: the conventional elastic-sizing approach. The policy is fixed
// (LRU by default); each window the capacity moves to the grid point that
// minimises estimated cost (rental + egress, plus the resize fee when the
// capacity changes) on the shadow miss-ratio curve of that policy, with hysteresis (a move must save more than `hysteresis`
// of the current estimate).

#include "cachelib/controller.h"

namespace edgecache::cachelib {

class SizeOnlyController final : public Controller {
 public:
  struct Options {
    PolicyId policy = 0;       // fixed policy (registry id; 0 = lru)
    double hysteresis = 0.05;  // fraction of the current cost a change must save
  };
  explicit SizeOnlyController(Options options) : options_(options) {}
  std::string name() const override;
  Decision start(const ControlContext& context) override;
  Decision decide(const WindowFeatures& features) override;

 private:
  Options options_;
  ControlContext context_;
  Decision current_;
};

}  // namespace edgecache::cachelib
