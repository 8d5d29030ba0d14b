// edgecache-proxy: wires config -> store -> index -> control loop -> server.
// Exit codes: 0 clean shutdown (after SIGTERM/SIGINT drain), 1 runtime
// failure at start-up (bind, store open), 2 bad command line / config.

#include <cstdio>
#include <variant>

#include "agent/agent_controllers.h"
#include "cachelib/byte_size.h"
#include "cachelib/controllers/controller_factory.h"
#include "cachelib/policy_registry.h"
#include "proxy/body_store.h"
#include "proxy/cache_index.h"
#include "proxy/control_loop.h"
#include "proxy/hot_body_store.h"
#include "proxy/admin_server.h"
#include "proxy/metrics.h"
#include "proxy/object_store_body_store.h"
#include "proxy/proxy_admin.h"
#include "proxy/proxy_config.h"
#include "proxy/proxy_server.h"

using namespace edgecache;

namespace {

// The RocksDB store (kept alive in `db`) behind the BodyStore seam, or an
// in-memory store for "memory:".
std::unique_ptr<proxy::BodyStore> openStore(const proxy::ProxyConfig& config, std::unique_ptr<store::ObjectStore>& db,
                                            std::string& error) {
  if (config.storeDir == "memory:") return proxy::makeMemoryBodyStore();
  store::StoreOptions options;
  options.path = config.storeDir;
  auto opened = store::ObjectStore::open(options);
  if (!opened) {
    error = opened.message();
    return nullptr;
  }
  db = std::move(opened).value();
  // What open() repaired after a crash or corruption: one line, only when
  // there was something to repair.
  const auto& report = db->openReport();
  if (report.orphanWrites != 0 || report.corruptRecords != 0) {
    std::fprintf(stderr,
                 "edgecache-proxy: store %s: deleted %llu unfinished writes (%llu chunks), %llu corrupt records "
                 "(%llu chunks)\n",
                 config.storeDir.c_str(), static_cast<unsigned long long>(report.orphanWrites),
                 static_cast<unsigned long long>(report.orphanChunks),
                 static_cast<unsigned long long>(report.corruptRecords),
                 static_cast<unsigned long long>(report.corruptChunks));
  }
  if (report.generationCeilingRebuilt) {
    std::fprintf(stderr, "edgecache-proxy: store %s: generation ceiling was missing or corrupt; recomputed from the data\n",
                 config.storeDir.c_str());
  }
  if (!report.repairError.empty()) {
    std::fprintf(stderr, "edgecache-proxy: store %s: repair incomplete: %s\n", config.storeDir.c_str(),
                 report.repairError.c_str());
  }
  return proxy::makeObjectStoreBodyStore(*db);
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = proxy::parseCommandLine(argc, argv);
  if (std::holds_alternative<int>(parsed)) return std::get<int>(parsed);
  const proxy::ProxyConfig config = std::get<proxy::ProxyConfig>(std::move(parsed));

  const std::string spec = proxy::controllerSpec(config);
  auto controller = agent::isAgentControllerSpec(spec) ? agent::makeAgentController(spec)
                                                        : cachelib::makeController(spec, cachelib::ControllerUse::kLive);
  if (!controller) {
    std::fprintf(stderr, "edgecache-proxy: %s%s\n", controller.message().c_str(),
                 agent::isAgentControllerSpec(spec) ? "" : " (or the DRL agent: drl[:MODEL])");
    return 2;
  }
  if (config.checkOnly) {
    std::fprintf(stderr, "edgecache-proxy: configuration OK (controller %s)\n", controller.value()->name().c_str());
    return 0;
  }

  std::string error;
  std::unique_ptr<store::ObjectStore> db;
  auto store = openStore(config, db, error);
  if (!store) {
    std::fprintf(stderr, "edgecache-proxy: store %s: %s\n", config.storeDir.c_str(), error.c_str());
    return 1;
  }
  // The hot tier sits between the index and the store: hits on recently
  // served bodies never touch RocksDB; erases (eviction, invalidation) pass
  // through it and drop the in-memory copy first.
  std::unique_ptr<proxy::HotBodyStore> hot;
  if (config.hotBytes > 0) {
    proxy::HotTierConfig hc;
    hc.budgetBytes = config.hotBytes;
    hc.fileDir = config.storeDir;  // large hot bodies: unnamed files beside the store (page cache)
    hot = std::make_unique<proxy::HotBodyStore>(*store, hc);
  }
  const auto* policy = cachelib::findPolicy(config.policy);  // validated by parseCommandLine
  auto index = proxy::CacheIndex::create({config.capacityBytes, policy->id}, hot ? *hot : *store);
  if (!index) {
    std::fprintf(stderr, "edgecache-proxy: cache: %s\n", index.message().c_str());
    return 1;
  }
  const auto rebuilt = index.value()->rebuild();
  std::fprintf(stderr, "edgecache-proxy: index rebuilt: %llu objects, %llu dropped\n",
               static_cast<unsigned long long>(rebuilt.loaded), static_cast<unsigned long long>(rebuilt.dropped));
  if (!rebuilt.scanError.empty()) {
    std::fprintf(stderr, "edgecache-proxy: index rebuild incomplete (unread objects stay unindexed): %s\n",
                 rebuilt.scanError.c_str());
  }

  proxy::AccessLog accessLog;
  // Metrics: the data plane and the loop update their histograms directly;
  // ProxyAdmin (further down) mirrors counters and gauges at each scrape.
  // Declared before the loop and the server so it outlives both.
  proxy::MetricsRegistry registry;
  auto instruments = proxy::registerDataPlaneInstruments(registry);
  if (!instruments) {
    std::fprintf(stderr, "edgecache-proxy: metrics: %s\n", instruments.message().c_str());
    return 1;
  }
  proxy::ControlLoopConfig lc;
  lc.windowRequests = config.windowRequests;
  lc.windowSeconds = config.windowSeconds;
  lc.floorBytes = config.floorBytes;
  lc.ceilingBytes = config.ceilingBytes;
  lc.prices = config.prices;
  proxy::ControlLoop loop(*index.value(), accessLog, std::move(controller).value(), lc,
                          [](const cachelib::WindowFeatures& f, const cachelib::Decision& d,
                             const cachelib::Decision& proposed, bool capacityPinned, bool policyPinned) {
                            auto policyName = [](cachelib::PolicyId id) {
                              const auto* p = cachelib::findPolicy(id);
                              return p ? std::string(p->name) : std::string("?");
                            };
                            // Pinned dimensions: say what the controller would have done.
                            std::string pinned;
                            if (capacityPinned) {
                              pinned += " (capacity pinned by admin; controller proposed " +
                                        cachelib::formatByteSize(proposed.capacityBytes) + ")";
                            }
                            if (policyPinned) {
                              pinned += " (policy pinned by admin; controller proposed " +
                                        policyName(proposed.policy) + ")";
                            }
                            std::fprintf(stderr,
                                         "edgecache-proxy: window %lld: %llu requests, hit ratio %.3f -> capacity %s, "
                                         "policy %s%s\n",
                                         static_cast<long long>(f.index), static_cast<unsigned long long>(f.requests),
                                         f.hitRatioObserved(), cachelib::formatByteSize(d.capacityBytes).c_str(),
                                         policyName(d.policy).c_str(), pinned.c_str());
                          });
  loop.setDecisionHistogram(instruments->decisionSeconds);
  loop.start();

  proxy::ProxyServer server(config, *index.value(), &accessLog);
  server.setInstruments(instruments->proxy);
  server.handleSignals();
  if (auto s = server.start(); !s) {
    std::fprintf(stderr, "edgecache-proxy: %s\n", s.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "edgecache-proxy: listening on %s, origin %s://%s, capacity %s, controller %s\n",
               proxy::HostPort{config.listen.host, server.port()}.authority().c_str(), config.origin.scheme.c_str(),
               config.origin.hostPort.authority().c_str(), cachelib::formatByteSize(config.capacityBytes).c_str(),
               proxy::controllerSpec(config).c_str());
  // Admin API + metrics (own port, own threads; talks to the data plane only
  // through ProxyAdmin).
  std::unique_ptr<proxy::ProxyAdmin> hooks;
  std::unique_ptr<proxy::AdminServer> admin;
  if (config.admin) {
    auto created = proxy::ProxyAdmin::create(*index.value(), server, &loop, config.origin.hostPort.authority(),
                                             registry, hot.get());
    if (!created) {
      std::fprintf(stderr, "edgecache-proxy: metrics: %s\n", created.message().c_str());
      server.beginDrain();
      server.waitStopped();
      return 1;
    }
    hooks = std::move(created).value();
    proxy::AdminServerOptions ao;
    ao.bindAddress = config.admin->host;
    ao.port = config.admin->port;
    ao.bearerToken = config.adminToken;
    admin = std::make_unique<proxy::AdminServer>(*hooks, ao);
    if (auto s = admin->start(); !s) {
      std::fprintf(stderr, "edgecache-proxy: admin %s: %s\n", config.admin->authority().c_str(), s.message().c_str());
      server.beginDrain();
      server.waitStopped();
      return 1;
    }
    std::fprintf(stderr, "edgecache-proxy: admin API on %s\n",
                 proxy::HostPort{config.admin->host, admin->port()}.authority().c_str());
  }
  server.waitStopped();
  if (admin) admin->stop();
  loop.stop();
  if (const auto st = loop.status(); !st.summary.empty())
    std::fprintf(stderr, "edgecache-proxy: controller %s: %s\n", st.controller.c_str(), st.summary.c_str());
  std::fprintf(stderr, "edgecache-proxy: stopped\n");
  return 0;
}
