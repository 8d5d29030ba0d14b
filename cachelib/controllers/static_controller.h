#pragma once
// static: a fixed capacity and policy, every window. The reference point.

#include "cachelib/controller.h"

namespace edgecache::cachelib {

class StaticController final : public Controller {
 public:
  explicit StaticController(Decision fixed) : fixed_(fixed) {}
  std::string name() const override;
  Decision start(const ControlContext&) override { return fixed_; }
  Decision decide(const WindowFeatures&) override { return fixed_; }

 private:
  Decision fixed_;
};

}  // namespace edgecache::cachelib
