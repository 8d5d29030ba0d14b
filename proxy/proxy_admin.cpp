#include "proxy/proxy_admin.h"

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "cachelib/policy_registry.h"
#include "proxy/admin_request.h"
#include "proxy/cache_key.h"

namespace edgecache::proxy {

// Counters mirror monotonically increasing atomics: each sync adds the
// delta since the previous sync.
struct MirroredCounter {
  Counter counter;
  double last = 0.0;
  void sync(double now) {
    if (now > last) counter.inc(now - last);
    last = now;
  }
};

struct ProxyAdmin::Handles {
  MirroredCounter hit, miss, revalidated, stale, pass, collapsed;
  MirroredCounter originFetches, originErrors, clientErrors, stored, invalidations, refused;
  MirroredCounter bytesFromOrigin, bytesToClients;
  MirroredCounter windows, resizes, switches;
  MirroredCounter hotHits, hotFills, hotEvictions;
  Gauge hotBytes, hotObjects;
  Gauge connections, capacity, used, objects, policyId;
  MirroredCounter costRental, costEgress, costResize, evictions;
  Gauge egressBytes;
  std::vector<std::pair<cachelib::PolicyId, Gauge>> policyInfo;
  Gauge pinnedCapacity, pinnedPolicy, proposedCapacity, proposedPolicy;
  // Controller::events() by name; children are added as names first appear.
  CounterFamily* controllerEvents = nullptr;
  std::map<std::string, MirroredCounter, std::less<>> controllerEventCounters;
};

namespace {
// `now`: the control loop's clock, the one `pin.until` is on.
nlohmann::json pinJson(const PinState& pin, bool policy, std::chrono::steady_clock::time_point now) {
  if (!pin.active) return nullptr;
  nlohmann::json j;
  if (policy) {
    const auto* info = cachelib::findPolicy(static_cast<cachelib::PolicyId>(pin.value));
    j["policy"] = info ? std::string(info->name) : std::string("?");
    j["policyId"] = pin.value;
  } else {
    j["capacityBytes"] = pin.value;
  }
  if (pin.until) {
    const auto left = std::chrono::duration<double>(*pin.until - now).count();
    j["holdSecondsLeft"] = std::max(0.0, left);
  } else {
    j["holdSecondsLeft"] = nullptr;  // until DELETE
  }
  return j;
}
}  // namespace

cachelib::Result<std::unique_ptr<ProxyAdmin>> ProxyAdmin::create(CacheIndex& index, const ProxyServer& server,
                                                                 ControlLoop* loop,
                                                                 std::string defaultAuthority,
                                                                 MetricsRegistry& registry,
                                                                 const HotBodyStore* hot) {
  auto h = std::make_unique<Handles>();
  std::string error;
  auto counterOf = [&](CounterFamily* f, std::initializer_list<std::string_view> labels, MirroredCounter& out) {
    auto c = f->withLabels(labels);
    if (!c) {
      error = c.message();
      return;
    }
    out.counter = c.value();
  };
  auto requests = registry.counterFamily("edgecache_requests_total", "Client requests by cache result.", {"result"});
  if (!requests) return requests.status();
  counterOf(requests.value(), {"hit"}, h->hit);
  counterOf(requests.value(), {"miss"}, h->miss);
  counterOf(requests.value(), {"revalidated"}, h->revalidated);
  counterOf(requests.value(), {"stale"}, h->stale);
  counterOf(requests.value(), {"pass"}, h->pass);
  counterOf(requests.value(), {"collapsed"}, h->collapsed);
  auto bytes = registry.counterFamily("edgecache_body_bytes_total", "Body bytes moved.", {"direction"});
  if (!bytes) return bytes.status();
  counterOf(bytes.value(), {"from_origin"}, h->bytesFromOrigin);
  counterOf(bytes.value(), {"to_clients"}, h->bytesToClients);
  if (!error.empty()) return cachelib::Result<std::unique_ptr<ProxyAdmin>>::error(error);

  auto plainCounter = [&](std::string_view name, std::string_view help, MirroredCounter& out) {
    auto c = registry.counter(name, help);
    if (!c) {
      error = c.message();
      return;
    }
    out.counter = c.value();
  };
  auto gauge = [&](std::string_view name, std::string_view help, Gauge& out) {
    auto g = registry.gauge(name, help);
    if (!g) {
      error = g.message();
      return;
    }
    out = g.value();
  };
  plainCounter("edgecache_origin_fetches_total", "Exchanges started with the origin.", h->originFetches);
  plainCounter("edgecache_origin_errors_total", "Origin connect/timeout/reset/protocol failures.", h->originErrors);
  plainCounter("edgecache_client_errors_total", "4xx answers produced by the proxy itself.", h->clientErrors);
  plainCounter("edgecache_stored_objects_total", "Responses committed to the store.", h->stored);
  plainCounter("edgecache_invalidated_objects_total", "Objects removed by unsafe requests.", h->invalidations);
  plainCounter("edgecache_connections_refused_total", "Connections closed at accept (max connections).", h->refused);
  plainCounter("edgecache_control_windows_total", "Control windows closed.", h->windows);
  plainCounter("edgecache_control_resizes_total", "Capacity changes applied by the controller.", h->resizes);
  plainCounter("edgecache_control_policy_switches_total", "Policy switches applied by the controller.", h->switches);
  gauge("edgecache_connections_active", "Open client connections.", h->connections);
  gauge("edgecache_cache_capacity_bytes", "Cache byte capacity.", h->capacity);
  gauge("edgecache_cache_used_bytes", "Bytes of resident objects.", h->used);
  gauge("edgecache_cache_objects", "Resident objects.", h->objects);
  gauge("edgecache_cache_policy_id", "Registry id of the replacement policy.", h->policyId);
  plainCounter("edgecache_cost_rental_dollars_total", "Capacity rental since start (capacity x wall time x price).",
               h->costRental);
  plainCounter("edgecache_cost_egress_dollars_total", "Origin egress since start (missed bytes x price).", h->costEgress);
  plainCounter("edgecache_cost_resize_dollars_total", "Resize fees since start.", h->costResize);
  plainCounter("edgecache_cache_evictions_total", "Objects evicted by the replacement policy (resizes included).",
               h->evictions);
  auto policyInfo = registry.gaugeFamily("edgecache_cache_policy_info",
                                         "1 for the replacement policy in force, 0 for the others.", {"policy"});
  if (!policyInfo) return policyInfo.status();
  for (const cachelib::PolicyInfo& p : cachelib::onlinePolicies()) {
    auto g = policyInfo.value()->withLabels({p.name});
    if (!g) return g.status();
    h->policyInfo.emplace_back(p.id, g.value());
  }
  gauge("edgecache_egress_bytes", "Missed bytes since start (control loop view).", h->egressBytes);
  auto pinned = registry.gaugeFamily("edgecache_override_pinned",
                                     "1 while a manual admin override pins the dimension against the controller.",
                                     {"dimension"});
  if (!pinned) return pinned.status();
  for (auto [label, out] : {std::pair<std::string_view, Gauge*>{"capacity", &h->pinnedCapacity},
                            std::pair<std::string_view, Gauge*>{"policy", &h->pinnedPolicy}}) {
    auto g = pinned.value()->withLabels({label});
    if (!g) return g.status();
    *out = g.value();
  }
  plainCounter("edgecache_hot_tier_hits_total", "Hits whose body came from the in-memory hot tier.", h->hotHits);
  plainCounter("edgecache_hot_tier_fills_total", "Bodies copied into the hot tier.", h->hotFills);
  plainCounter("edgecache_hot_tier_evictions_total", "Bodies dropped from the hot tier for space.", h->hotEvictions);
  gauge("edgecache_hot_tier_bytes", "Body bytes held in the hot tier.", h->hotBytes);
  gauge("edgecache_hot_tier_objects", "Bodies held in the hot tier.", h->hotObjects);
  auto events = registry.counterFamily("edgecache_controller_events_total",
                                      "What the controller did, by event (the online DRL agent: finetune_published, "
                                      "finetune_rejected, finetune_skipped, finetune_failed, drift_alarm).",
                                      {"event"});
  if (!events) return events.status();
  h->controllerEvents = events.value();
  gauge("edgecache_controller_proposed_capacity_bytes",
        "The controller's latest capacity decision (applied unless pinned).", h->proposedCapacity);
  gauge("edgecache_controller_proposed_policy_id",
        "The controller's latest policy decision, registry id (applied unless pinned).", h->proposedPolicy);
  if (!error.empty()) return cachelib::Result<std::unique_ptr<ProxyAdmin>>::error(error);
  return std::make_unique<ProxyAdmin>(index, server, loop, std::move(defaultAuthority), registry, std::move(h), hot);
}

cachelib::Result<DataPlaneInstruments> registerDataPlaneInstruments(MetricsRegistry& registry) {
  DataPlaneInstruments out;
  // Seconds; 100 us .. 10 s for responses and origin fetches, 1 us .. 1 s
  // for controller decisions (the DRL edge model decides in microseconds).
  const std::vector<double> responseBounds{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                           0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
  const std::vector<double> decisionBounds{1e-6,   2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4,
                                           5e-4,   1e-3,   1e-2, 0.1,  1};
  auto response = registry.histogramFamily("edgecache_response_seconds",
                                           "Client request handling time, request read to response written, by cache "
                                           "result.",
                                           {"result"}, responseBounds);
  if (!response) return response.status();
  auto served = registry.counterFamily("edgecache_served_bytes_total", "Body bytes sent to clients, by cache result.",
                                       {"result"});
  if (!served) return served.status();
  for (std::size_t i = 0; i < kResponseOutcomes; ++i) {
    auto hist = response.value()->withLabels({kResponseOutcomeNames[i]});
    if (!hist) return hist.status();
    out.proxy.responseSeconds[i] = hist.value();
    auto c = served.value()->withLabels({kResponseOutcomeNames[i]});
    if (!c) return c.status();
    out.proxy.servedBytes[i] = c.value();
  }
  auto origin = registry.histogram("edgecache_origin_fetch_seconds",
                                   "Origin fetches: request sent to response head received (failures not counted).",
                                   responseBounds);
  if (!origin) return origin.status();
  out.proxy.originFetchSeconds = origin.value();
  auto decision = registry.histogram("edgecache_control_decision_seconds",
                                     "Controller decide() time per window (off the request path).", decisionBounds);
  if (!decision) return decision.status();
  out.decisionSeconds = decision.value();
  return out;
}

std::uint64_t exclusiveHits(std::uint64_t hits, std::uint64_t collapsed) noexcept {
  // Read as two separate atomics: collapsed may briefly run ahead.
  return hits > collapsed ? hits - collapsed : 0;
}

ProxyAdmin::ProxyAdmin(CacheIndex& index, const ProxyServer& server, ControlLoop* loop,
                       std::string defaultAuthority, MetricsRegistry& registry, std::unique_ptr<Handles> handles,
                       const HotBodyStore* hot)
    : index_(index), server_(server), loop_(loop), hot_(hot), defaultAuthority_(std::move(defaultAuthority)),
      registry_(registry), handles_(std::move(handles)) {}

ProxyAdmin::~ProxyAdmin() = default;

std::string ProxyAdmin::statusJson() {
  const auto snap = index_.snapshot();
  const auto& c = server_.counters();
  const auto* policy = cachelib::findPolicy(snap.policy);
  nlohmann::json j;
  j["capacityBytes"] = snap.capacityBytes;
  j["usedBytes"] = snap.usedBytes;
  j["objects"] = snap.objects;
  j["policy"] = policy ? std::string(policy->name) : std::string("?");
  j["policyId"] = snap.policy;
  j["draining"] = server_.draining();
  j["counters"] = {{"requests", c.requests.load()},
                   {"hits", c.hits.load()},
                   {"misses", c.misses.load()},
                   {"revalidated", c.revalidated.load()},
                   {"staleServed", c.staleServed.load()},
                   {"passes", c.passes.load()},
                   {"collapsed", c.collapsed.load()},
                   {"stored", c.stored.load()},
                   {"originFetches", c.originFetches.load()},
                   {"originErrors", c.originErrors.load()},
                   {"clientErrors", c.clientErrors.load()},
                   {"activeConnections", c.activeConnections.load()}};
  if (loop_) {
    const auto st = loop_->status();
    j["control"] = {{"controller", st.controller},
                    {"summary", st.summary},
                    {"windows", st.windows},
                    {"requests", st.requests},
                    {"hits", st.hits},
                    {"missBytes", st.missBytes},
                    {"meanCapacityBytes", st.meanCapacityBytes},
                    {"resizes", st.resizes},
                    {"policySwitches", st.policySwitches},
                    {"droppedRecords", st.droppedRecords},
                    {"cost", {{"rental", st.cost.rental}, {"egress", st.cost.egress}, {"resize", st.cost.resize},
                              {"total", st.cost.total()}}}};
    const auto* proposedPolicy = cachelib::findPolicy(st.proposed.policy);
    j["control"]["proposed"] = {{"capacityBytes", st.proposed.capacityBytes},
                                {"policy", proposedPolicy ? std::string(proposedPolicy->name) : std::string("?")},
                                {"policyId", st.proposed.policy}};
    const auto now = loop_->now();
    j["overrides"] = {{"capacity", pinJson(st.capacityPin, false, now)}, {"policy", pinJson(st.policyPin, true, now)}};
  } else {
    j["overrides"] = {{"capacity", nullptr}, {"policy", nullptr}};
  }
  if (hot_) {
    const auto hs = hot_->stats();
    j["hotTier"] = {{"hits", hs.hits}, {"fills", hs.fills}, {"evictions", hs.evictions}, {"bytes", hs.bytes},
                    {"objects", hs.objects}};
  } else {
    j["hotTier"] = nullptr;
  }
  return j.dump();
}

cachelib::Status ProxyAdmin::setCapacity(std::uint64_t capacityBytes, std::chrono::seconds hold) {
  if (capacityBytes == 0) return cachelib::Status::error("capacity must be positive");
  if (loop_) return loop_->pinCapacity(capacityBytes, hold);
  index_.resize(capacityBytes);
  return cachelib::Status::ok();
}

cachelib::Status ProxyAdmin::setPolicy(cachelib::PolicyId policy, std::chrono::seconds hold) {
  if (loop_) return loop_->pinPolicy(policy, hold);
  return index_.setPolicy(policy);
}

bool ProxyAdmin::releaseCapacity() { return loop_ != nullptr && loop_->releaseCapacity(); }
bool ProxyAdmin::releasePolicy() { return loop_ != nullptr && loop_->releasePolicy(); }

cachelib::Result<std::uint64_t> ProxyAdmin::purge(std::string_view url) {
  const auto key = purgeCacheKey(url, defaultAuthority_);
  if (!key) return cachelib::Result<std::uint64_t>::error("not an http(s) URL or absolute path: " + std::string(url));
  return static_cast<std::uint64_t>(index_.invalidate(*key));
}

void ProxyAdmin::syncMetrics() {
  const auto& c = server_.counters();
  auto& h = *handles_;
  std::lock_guard lock(mutex_);
  const std::uint64_t collapsed = c.collapsed.load();
  h.hit.sync(double(exclusiveHits(c.hits.load(), collapsed)));
  h.miss.sync(double(c.misses.load()));
  h.revalidated.sync(double(c.revalidated.load()));
  h.stale.sync(double(c.staleServed.load()));
  h.pass.sync(double(c.passes.load()));
  h.collapsed.sync(double(collapsed));
  h.originFetches.sync(double(c.originFetches.load()));
  h.originErrors.sync(double(c.originErrors.load()));
  h.clientErrors.sync(double(c.clientErrors.load()));
  h.stored.sync(double(c.stored.load()));
  h.invalidations.sync(double(c.invalidations.load()));
  h.refused.sync(double(c.connectionsRefused.load()));
  h.bytesFromOrigin.sync(double(c.bytesFromOrigin.load()));
  h.bytesToClients.sync(double(c.bytesToClients.load()));
  h.connections.set(double(c.activeConnections.load()));
  const auto snap = index_.snapshot();
  h.capacity.set(double(snap.capacityBytes));
  h.used.set(double(snap.usedBytes));
  h.objects.set(double(snap.objects));
  h.policyId.set(double(snap.policy));
  for (auto& [id, g] : h.policyInfo) g.set(id == snap.policy ? 1.0 : 0.0);
  h.evictions.sync(double(snap.stats.evictions));
  if (hot_) {
    const auto hs = hot_->stats();
    h.hotHits.sync(double(hs.hits));
    h.hotFills.sync(double(hs.fills));
    h.hotEvictions.sync(double(hs.evictions));
    h.hotBytes.set(double(hs.bytes));
    h.hotObjects.set(double(hs.objects));
  }
  if (loop_) {
    const auto st = loop_->status();
    h.windows.sync(double(st.windows));
    h.resizes.sync(double(st.resizes));
    h.switches.sync(double(st.policySwitches));
    h.costRental.sync(st.cost.rental);
    h.costEgress.sync(st.cost.egress);
    h.costResize.sync(st.cost.resize);
    h.egressBytes.set(double(st.missBytes));
    h.pinnedCapacity.set(st.capacityPin.active ? 1.0 : 0.0);
    h.pinnedPolicy.set(st.policyPin.active ? 1.0 : 0.0);
    h.proposedCapacity.set(double(st.proposed.capacityBytes));
    h.proposedPolicy.set(double(st.proposed.policy));
    for (const auto& e : st.events) {
      auto it = h.controllerEventCounters.find(e.name);
      if (it == h.controllerEventCounters.end()) {
        auto c = h.controllerEvents->withLabels({e.name});
        if (!c) continue;  // an invalid label value: not exported (names are fixed in code)
        it = h.controllerEventCounters.emplace(e.name, MirroredCounter{c.value()}).first;
      }
      it->second.sync(double(e.count));
    }
  }
}

std::string ProxyAdmin::metricsText() {
  syncMetrics();
  return registry_.renderText();
}

}  // namespace edgecache::proxy
