// ControlLoop against an injected clock (ControlLoopConfig::clock): windows
// closed by time, timed pins and decide() latency, with no sleeping for time
// to pass. The loop's own thread still ticks every 50 ms of real time; the
// tests wait (bounded) only for those ticks to have seen what they recorded.

#include "proxy/control_loop.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cachelib/policy_registry.h"
#include "proxy/body_store.h"
#include "proxy/cache_index.h"
#include "proxy/metrics.h"

using namespace edgecache;
using namespace edgecache::proxy;
using namespace std::chrono_literals;

namespace {

// Monotonic, starts at the steady_clock epoch, moves only when advanced.
struct FakeSteadyClock {
  std::atomic<std::chrono::steady_clock::rep> ticks{0};
  std::chrono::steady_clock::time_point now() const {
    return std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(ticks.load()));
  }
  void advance(std::chrono::steady_clock::duration d) { ticks += d.count(); }
};

constexpr std::uint64_t kProposedBytes = 50'000;

// Always proposes kProposedBytes and the first online policy; decide() may
// move the clock to stand for time spent deciding.
class FixedController final : public cachelib::Controller {
 public:
  FixedController(FakeSteadyClock& clock, std::chrono::steady_clock::duration decideTakes)
      : clock_(clock), decideTakes_(decideTakes) {}
  std::string name() const override { return "fixed"; }
  cachelib::Decision start(const cachelib::ControlContext&) override { return proposal(); }
  cachelib::Decision decide(const cachelib::WindowFeatures& f) override {
    {
      std::lock_guard lock(mutex);
      windows.push_back(f);
    }
    clock_.advance(decideTakes_);
    return proposal();
  }
  static cachelib::Decision proposal() { return {kProposedBytes, cachelib::onlinePolicies()[0].id}; }

  std::mutex mutex;
  std::vector<cachelib::WindowFeatures> windows;  // as passed to decide(), guarded by mutex

 private:
  FakeSteadyClock& clock_;
  std::chrono::steady_clock::duration decideTakes_;
};

struct LoopFixture {
  explicit LoopFixture(ControlLoopConfig config, std::chrono::steady_clock::duration decideTakes = {}) {
    auto created = CacheIndex::create({kProposedBytes, 0}, *store);
    REQUIRE(created);
    index = std::move(created).value();
    auto owned = std::make_unique<FixedController>(clock, decideTakes);
    controller = owned.get();
    config.clock = [this] { return clock.now(); };
    config.floorBytes = 1000;
    config.ceilingBytes = 1 << 20;
    config.niceness = 0;
    loop = std::make_unique<ControlLoop>(*index, log, std::move(owned), config);
  }

  // Records one access and waits (bounded) until a tick has drained it, then
  // does so again: the first tick's window and hold checks are then done.
  void tickTwice() {
    for (int round = 0; round < 2; ++round) {
      const std::uint64_t before = loop->status().requests;
      log.record(Access{++key, 100, false});
      for (int i = 0; i < 2000 && loop->status().requests == before; ++i) std::this_thread::sleep_for(1ms);
      REQUIRE(loop->status().requests == before + 1);
    }
  }
  // Advances the clock by `d`, lets the loop tick on it and returns the
  // windows closed so far.
  std::int64_t windowsAfter(std::chrono::steady_clock::duration d) {
    clock.advance(d);
    tickTwice();
    return loop->status().windows;
  }
  // Waits (bounded) until `windows` windows have closed.
  void awaitWindows(std::int64_t windows) {
    for (int i = 0; i < 2000 && loop->status().windows < windows; ++i) std::this_thread::sleep_for(1ms);
    REQUIRE(loop->status().windows == windows);
  }
  cachelib::WindowFeatures lastWindow() {
    std::lock_guard lock(controller->mutex);
    REQUIRE_FALSE(controller->windows.empty());
    return controller->windows.back();
  }

  FakeSteadyClock clock;
  std::unique_ptr<BodyStore> store = makeMemoryBodyStore();
  std::unique_ptr<CacheIndex> index;
  AccessLog log;
  FixedController* controller = nullptr;  // owned by the loop
  std::unique_ptr<ControlLoop> loop;
  std::uint64_t key = 0;
};

}  // namespace

TEST_CASE("control loop: windows close by time on the injected clock") {
  ControlLoopConfig lc;
  lc.windowRequests = 1'000'000;  // never by count here
  lc.windowSeconds = 10;
  lc.firstWindowShare = 0.1;      // the first window closes after 1 s
  LoopFixture f(lc);
  f.loop->start();
  CHECK(f.windowsAfter(0s) == 0);
  CHECK(f.windowsAfter(999ms) == 0);
  CHECK(f.windowsAfter(1ms) == 1);
  auto w = f.lastWindow();
  CHECK(w.startSeconds == doctest::Approx(0.0));
  CHECK(w.durationSeconds == doctest::Approx(1.0));
  CHECK(w.cost.rental == doctest::Approx(cachelib::rentalDollars(lc.prices, double(kProposedBytes), 1.0)));

  // The next windows are the full 10 s.
  CHECK(f.windowsAfter(9s) == 1);
  CHECK(f.windowsAfter(1s) == 2);
  w = f.lastWindow();
  CHECK(w.startSeconds == doctest::Approx(1.0));
  CHECK(w.durationSeconds == doctest::Approx(10.0));
  f.loop->stop();
  // Rental accrues over injected time only: 11 s at kProposedBytes.
  CHECK(f.loop->status().cost.rental == doctest::Approx(cachelib::rentalDollars(lc.prices, double(kProposedBytes), 11.0)));
}

TEST_CASE("control loop: a timed pin ends when the injected clock passes its hold") {
  ControlLoopConfig lc;
  lc.windowSeconds = 0;  // windows by count only (none close here)
  LoopFixture f(lc);
  f.loop->start();
  REQUIRE(f.loop->pinCapacity(30'000, 5s).isOk());
  auto st = f.loop->status();
  REQUIRE(st.capacityPin.active);
  REQUIRE(st.capacityPin.until.has_value());
  CHECK(*st.capacityPin.until == f.clock.now() + 5s);
  CHECK(f.index->snapshot().capacityBytes == 30'000);

  f.clock.advance(5s - 1ms);
  f.tickTwice();  // releaseExpired runs on every tick
  CHECK(f.loop->status().capacityPin.active);
  CHECK(f.index->snapshot().capacityBytes == 30'000);

  f.clock.advance(1ms);
  f.tickTwice();
  st = f.loop->status();
  CHECK_FALSE(st.capacityPin.active);
  // Released: the controller's latest proposal applies at once.
  CHECK(f.index->snapshot().capacityBytes == kProposedBytes);
  CHECK(st.lastDecision.capacityBytes == kProposedBytes);
}

TEST_CASE("control loop: decide() latency is measured on the injected clock") {
  ControlLoopConfig lc;
  lc.windowSeconds = 0;
  LoopFixture f(lc, 250ms);  // each decide() takes 250 ms of injected time
  MetricsRegistry registry;
  auto histogram = registry.histogram("decide_seconds", "test", {0.1, 1.0});
  REQUIRE(histogram.isOk());
  f.loop->setDecisionHistogram(histogram.value());
  f.loop->start();
  f.loop->closeWindowSoon();
  f.awaitWindows(1);
  f.loop->stop();
  const std::string text = registry.renderText();
  CHECK(text.find("decide_seconds_sum 0.25\n") != std::string::npos);
  CHECK(text.find("decide_seconds_count 1\n") != std::string::npos);
}
