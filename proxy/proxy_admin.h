#pragma once
// ProxyAdmin: the data plane's implementation of AdminHooks (proxy/admin_server.h)
// and its Prometheus metrics (proxy/metrics.h).
//
//  - statusJson: capacity, used bytes, objects, policy, counters, control
//    loop state and live cost, as one JSON object.
//  - setCapacity / setPolicy: manual overrides, applied at once and pinned
//    in the control loop (ControlLoop::pinCapacity / pinPolicy) until
//    releaseCapacity / releasePolicy or the hold expires; the controller's
//    proposals meanwhile show in statusJson ("control.proposed") and in
//    metrics. Without a control loop they go straight to the CacheIndex.
//  - purge(url): every stored variant of the URL (absolute http(s) URI, or
//    a path, which is resolved against the origin's authority).
//  - metricsText: mirrors ProxyCounters, the cache snapshot and the control
//    loop status into the registry, then renders it.
//
// Thread safety: every method may be called concurrently (the mirrors take
// one mutex; CacheIndex and ControlLoop are thread safe).

#include <memory>
#include <mutex>

#include "proxy/admin_server.h"
#include "proxy/cache_index.h"
#include "proxy/control_loop.h"
#include "proxy/hot_body_store.h"
#include "proxy/metrics.h"
#include "proxy/proxy_server.h"

namespace edgecache::proxy {

// The histograms and per-result counters the data plane and the control loop
// update themselves, registered in `registry` (hand them to
// ProxyServer::setInstruments and ControlLoop::setDecisionHistogram before
// their start()).
struct DataPlaneInstruments {
  ProxyInstruments proxy;
  Histogram decisionSeconds;
};
cachelib::Result<DataPlaneInstruments> registerDataPlaneInstruments(MetricsRegistry& registry);

// edgecache_requests_total{result} is a partition of the requests (each one
// under exactly one result), but ProxyCounters::hits also counts collapsed
// hits (as /status reports them): the "hit" label gets hits - collapsed.
std::uint64_t exclusiveHits(std::uint64_t hits, std::uint64_t collapsed) noexcept;

class ProxyAdmin final : public AdminHooks {
 public:
  // All references must outlive this object; `loop` and `hot` (the hot tier,
  // when the proxy runs one) may be null.
  // Registers the metric families (fails only on a registry conflict).
  static cachelib::Result<std::unique_ptr<ProxyAdmin>> create(CacheIndex& index, const ProxyServer& server,
                                                              ControlLoop* loop, std::string defaultAuthority,
                                                              MetricsRegistry& registry,
                                                              const HotBodyStore* hot = nullptr);

  std::string statusJson() override;
  cachelib::Status setCapacity(std::uint64_t capacityBytes, std::chrono::seconds hold) override;
  cachelib::Status setPolicy(cachelib::PolicyId policy, std::chrono::seconds hold) override;
  bool releaseCapacity() override;
  bool releasePolicy() override;
  cachelib::Result<std::uint64_t> purge(std::string_view url) override;
  std::string metricsText() override;

  struct Handles;  // metric handles (defined in the .cpp)
  ProxyAdmin(CacheIndex& index, const ProxyServer& server, ControlLoop* loop, std::string defaultAuthority,
             MetricsRegistry& registry, std::unique_ptr<Handles> handles, const HotBodyStore* hot);
  ~ProxyAdmin() override;

 private:
  void syncMetrics();

  CacheIndex& index_;
  const ProxyServer& server_;
  ControlLoop* loop_;
  const HotBodyStore* hot_;
  std::string defaultAuthority_;
  MetricsRegistry& registry_;
  std::unique_ptr<Handles> handles_;
  std::mutex mutex_;  // guards the mirrors in handles_
};

}  // namespace edgecache::proxy
