#pragma once
// The Controller interface: once per window, decide the cache capacity and
// the replacement policy from what the window showed. Baselines live in
// cachelib/controllers/, the DRL agent in agent/, and the proxy calls any of
// them from its control loop (never from a request thread).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cachelib/cache.h"
#include "cachelib/cost_model.h"
#include "cachelib/policy.h"
#include "cachelib/request.h"
#include "cachelib/window_features.h"

namespace edgecache::cachelib {

struct Decision {
  std::uint64_t capacityBytes = 0;
  PolicyId policy = 0;
  bool operator==(const Decision&) const = default;
};

// What every controller is told once, before the first window.
struct ControlContext {
  std::uint64_t floorBytes = 64ull << 20;     // smallest capacity a controller may choose
  std::uint64_t ceilingBytes = 64ull << 30;   // largest
  CostPrices prices;
  WindowConfig window;                        // includes the what-if grid and policies
};

// `bytes` clamped into [floorBytes, ceilingBytes]; a floor above the
// ceiling wins (as WindowedReplay and the proxy's control loop apply it).
// What every controller's decisions must satisfy.
inline std::uint64_t clampCapacity(std::uint64_t bytes, const ControlContext& context) noexcept {
  return std::clamp(bytes, context.floorBytes, std::max(context.floorBytes, context.ceilingBytes));
}

// The geometric mean of floor and ceiling, clamped: where the controllers
// that adapt the capacity start, before they have seen a window.
inline std::uint64_t middleCapacity(const ControlContext& context) noexcept {
  return clampCapacity(
      static_cast<std::uint64_t>(std::sqrt(double(context.floorBytes) * double(context.ceilingBytes))), context);
}

// A named count of something a controller did (e.g. the online agent's
// fine-tunes published), for metrics. `name` is a Prometheus label value:
// lower_snake_case.
struct ControllerEvent {
  std::string name;
  std::uint64_t count = 0;
};

// The hindsight view (offline evaluation only): the live cache and the
// requests of the window about to be decided.
struct Hindsight {
  const Cache* cache = nullptr;
  std::span<const Request> nextWindow;
  double nextWindowSeconds = 0.0;
};

class Controller {
 public:
  virtual ~Controller() = default;
  // "static:lru:1GiB", "size-only", ... as given on command lines.
  virtual std::string name() const = 0;
  // Called once; returns the decision for the first window.
  virtual Decision start(const ControlContext& context) = 0;
  // Called after every window with its features; returns the decision for
  // the next window. Must clamp capacity into [floor, ceiling].
  virtual Decision decide(const WindowFeatures& features) = 0;
  // Optional request feed, for controllers that learn from the raw requests
  // (the online DRL agent keeps a sliding window of them). Called on the
  // thread that calls decide(), with requests in arrival order, before the
  // decide() of the window they belong to; a window may arrive in several
  // calls (the proxy's control loop passes each drained batch). The span is
  // only valid during the call. Must be cheap (it runs for every request):
  // copy what is needed, never block. Default: ignore.
  virtual void observe(std::span<const Request> /*requests*/) {}
  // One line on what the controller did over its run (e.g. fine-tunes
  // published/rejected), shown under edgecache-bench compare's table; empty
  // when there is nothing to say (the default).
  virtual std::string summary() const { return {}; }
  // Event counts since start(), every name the controller can report
  // (zeros included, so a metrics exporter sees them from the first
  // window); called on the thread that calls decide(). Default: none.
  virtual std::vector<ControllerEvent> events() const { return {}; }
  // Offline bounds that look at the future override these two.
  virtual bool wantsHindsight() const noexcept { return false; }
  virtual Decision decideWithHindsight(const WindowFeatures& features, const Hindsight&) { return decide(features); }
};

}  // namespace edgecache::cachelib
