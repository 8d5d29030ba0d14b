#pragma once
// static: a fixed capacity and policy, every window. The reference point.

#include "cachelib/controller.h"

namespace edgecache::cachelib {

class StaticController final : public Controller {
 public:
  explicit StaticController(Decision fixed) : fixed_(fixed), current_(fixed) {}
  std::string name() const override;  // names the capacity as given, before clamping
  Decision start(const ControlContext& context) override {
    current_ = Decision{clampCapacity(fixed_.capacityBytes, context), fixed_.policy};
    return current_;
  }
  Decision decide(const WindowFeatures&) override { return current_; }

 private:
  Decision fixed_;    // as given
  Decision current_;  // clamped by start()
};

}  // namespace edgecache::cachelib
