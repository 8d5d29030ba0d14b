#pragma once
// oracle: for every window, the best (policy, capacity) in hindsight: each
// candidate on the what-if grid is applied to a copy of the live cache as
// WindowedReplay::step() applies a decision (resize, then switch policy) and
// the true next window is replayed on it; the cheapest (rental + egress +
// resize fee) wins. A per-window upper bound for reports; never deployable.
// Cost: |policies| x |grid| cache copies and window replays per window.

#include "cachelib/controller.h"

namespace edgecache::cachelib {

class OracleController final : public Controller {
 public:
  std::string name() const override { return "oracle"; }
  Decision start(const ControlContext& context) override;
  Decision decide(const WindowFeatures&) override { return current_; }
  bool wantsHindsight() const noexcept override { return true; }
  Decision decideWithHindsight(const WindowFeatures& features, const Hindsight& hindsight) override;

 private:
  ControlContext context_;
  Decision current_;
};

}  // namespace edgecache::cachelib
