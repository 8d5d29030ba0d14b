#include "agent/decision_latency.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "agent/drl_controller.h"
#include "agent/online_drl_controller.h"
#include "agent/ppo_trainer.h"
#include "cachelib/windowed_replay.h"
#include "traces/synthetic.h"

namespace edgecache::agent {

namespace {

using Clock = std::chrono::steady_clock;

double micros(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::micro>(b - a).count(); }

LatencyRow summarise(std::string condition, std::vector<double> us) {
  LatencyRow row;
  row.condition = std::move(condition);
  row.samples = us.size();
  if (us.empty()) return row;
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[std::min(us.size() - 1, std::size_t(q * double(us.size())))]; };
  row.p50Us = at(0.50);
  row.p99Us = at(0.99);
  row.maxUs = us.back();
  double sum = 0.0;
  for (double v : us) sum += v;
  row.meanUs = sum / double(us.size());
  return row;
}

}  // namespace

cachelib::Result<LatencyReport> measureDecisionLatency(const LatencyProbeConfig& c) {
  using R = cachelib::Result<LatencyReport>;
  auto preset = traces::syntheticPreset(c.preset);
  if (!preset) return preset.status();
  if (c.requests < 4 * c.windowRequests || c.windowRequests == 0 || c.decisions == 0)
    return R::error("latency: need --requests >= 4 windows, a window > 0 and --decisions > 0");
  auto cfg = preset.value();
  cfg.seed = c.seed;
  cfg.requests = c.requests;
  const auto trace = traces::generateSynthetic(cfg);
  EnvSettings settings;
  settings.windowRequests = c.windowRequests;
  const auto env = makeEnvConfig(trace, settings);

  // Real window features to decide on.
  std::vector<cachelib::WindowFeatures> features;
  {
    cachelib::WindowedReplay replay(trace, env);
    const cachelib::Decision d = initialDecision(env.context);
    while (!replay.done()) {
      (void)replay.step(d);
      features.push_back(replay.features());
    }
  }

  const std::string path = c.modelPath.empty() ? defaultModelPath() : c.modelPath;
  OnlineDrlController::Options options;
  options.retrainEveryWindows = 0;  // fine-tunes only when asked for below
  options.trainerNice = c.trainerNice;
  options.initialWindowRequests = options.maxWindowRequests = std::min<std::uint64_t>(trace.size(), 32 * c.windowRequests);
  options.minWindowRequests = std::min<std::uint64_t>(trace.size(), 4 * c.windowRequests);
  auto loaded = OnlineDrlController::load(path, options);
  if (!loaded) return loaded.status();
  OnlineDrlController& online = *loaded.value();
  (void)online.start(env.context);
  online.observe(trace);

  LatencyReport report;
  report.windowRequests = online.stats().windowRequests;
  std::size_t next = 0;
  auto timedDecide = [&] {
    const cachelib::WindowFeatures& f = features[next++ % features.size()];
    const auto t0 = Clock::now();
    (void)online.decide(f);
    return micros(t0, Clock::now());
  };
  // Warm-up (first-touch allocations, caches).
  for (int i = 0; i < 50; ++i) (void)timedDecide();

  std::vector<double> idle;
  for (std::size_t i = 0; i < c.decisions; ++i) idle.push_back(timedDecide());
  report.rows.push_back(summarise("idle", std::move(idle)));

  if (c.duringFineTune) {
    std::vector<double> during, schedule;
    const std::uint64_t before = online.stats().published + online.stats().rejected + online.stats().failed;
    while (during.size() < c.decisions) {
      if (!online.fineTuneRunning()) {
        const auto t0 = Clock::now();
        if (!online.requestFineTune()) return R::error("latency: could not start a fine-tune");
        schedule.push_back(micros(t0, Clock::now()));
        continue;
      }
      const double us = timedDecide();
      if (online.fineTuneRunning()) during.push_back(us);  // still running after: the call overlapped training
    }
    online.waitIdle();
    const OnlineStats s = online.stats();
    LatencyRow row = summarise("during fine-tune", std::move(during));
    row.fineTunes = s.published + s.rejected + s.failed - before;
    const std::uint64_t all = s.published + s.rejected + s.failed;
    report.fineTuneSeconds = all > 0 ? s.fineTuneSeconds / double(all) : 0.0;
    report.scheduleUs = summarise("", std::move(schedule)).p50Us;
    report.rows.push_back(std::move(row));
  }
  return report;
}

}  // namespace edgecache::agent
