#pragma once
// Per-window features: what a real edge node can observe about its traffic,
// computed online in one pass, plus "what-if" estimates from sampled shadow
// caches (SHARDS-style spatial sampling). Every controller — the baselines,
// the DRL agent, the proxy's control loop — sees exactly this struct.
//
// What-if estimates: LRU at every grid capacity from one LRU stack at rate R
// (lru_stack.h); every other policy from its shadow cache per capacity
// (shadow_bank.h). A capacity whose shadows hold more than 2 x shadowObjects
// sampled objects runs them at R / 2^k (k <= maxRateHalvings) and estimates
// policy P there as LRU(R) + [P - LRU] measured on that smaller sample (a
// control variate; see lowerShadowRates()).
//
// Cost per request (bench/RESULTS.md, `edgecache-bench overhead` and
// `shadow-error`):
//  * always: one 64-bit hash (splitmix finaliser), a HyperLogLog register
//    update and the size moments: ~37 instructions per request through
//    observeBatch() (the replay's path; ~44 through observe(), which also
//    counts hits), about 14% of the instructions of an LRU replay;
//  * for the sampled fraction R of requests: a per-window count, a
//    reuse-distance lookup, one LRU-stack update (O(log n)) and one policy
//    access in each shadow whose rate includes the key. On the 1M-object
//    synthetic trace at R = 1% that is 0.14 shadow accesses per request
//    instead of 0.68 with one rate for every shadow (shadowObjects = 0); the
//    tracker alone then costs ~10 ns per request instead of ~50.
// Memory: a shadow holds up to ~2 x shadowObjects sampled objects once its
// rate is lowered (R x its capacity's share of the working set before); the
// LRU stack holds the sampled objects within the largest capacity; the reuse
// map holds every sampled key ever seen (R x objects entries).

#include <array>
#include <bit>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "cachelib/cache.h"
#include "cachelib/cost_model.h"
#include "cachelib/key_sampling.h"
#include "cachelib/lru_stack.h"
#include "cachelib/policy.h"
#include "cachelib/request.h"
#include "cachelib/shadow_bank.h"

namespace edgecache::cachelib {

// Reuse distance (in requests, full scale) histogram: bucket b counts
// distances in [2^b, 2^(b+1)), bucket kReuseBuckets - 2 every distance
// >= 2^(kReuseBuckets - 2); the last bucket counts first accesses (cold).
inline constexpr std::size_t kReuseBuckets = 24;

struct WindowConfig {
  std::uint64_t requests = 10'000;  // window length in requests (when seconds == 0)
  double seconds = 0.0;             // window length in trace seconds; > 0 overrides requests
  // The first window is this share of the others (in requests or seconds,
  // at least one request). A controller starts from nothing (its first
  // decision is a guess), so a short first window lets it act on data
  // soon; every controller gets the same one. 1 = all windows equal.
  double firstWindowShare = 0.1;
  double samplingRate = 0.01;       // fraction of keys fed to shadow caches / sampled features
  std::uint64_t sampleSalt = 0;     // keys are hashed as mixKey(key ^ salt); another salt, another sample
  // Per-capacity rates (WindowFeatureTracker::lowerShadowRates): at a window
  // close, the shadows of a capacity that hold more than 2 x shadowObjects
  // sampled objects halve their rate until they hold about shadowObjects to
  // twice that; rates never go back up. Off by default: on the 1M-request
  // synthetic scenarios it made joint-greedy 2x costlier (1.74 -> 3.50 $,
  // 8 -> 43 policy switches) and strategy-only greedy 6% costlier, their
  // greedy choice over 96 estimates drawn to the noisier non-LRU estimates
  // at the lowered rates (bench/RESULTS.md). The features are cheaper with
  // it (edgecache-bench overhead --shadow-objects 32).
  std::size_t shadowObjects = 0;      // objects a shadow should hold (e.g. 32); 0 = every shadow at samplingRate
  std::uint32_t maxRateHalvings = 3;  // a capacity's rate stays >= samplingRate / 2^maxRateHalvings
  std::vector<std::uint64_t> capacityGrid;  // what-if capacities (full-scale bytes), ascending
  std::vector<PolicyId> shadowPolicies;     // what-if policies; empty = every online policy
};

// A geometric grid of `points` capacities from floor to ceiling (inclusive).
std::vector<std::uint64_t> geometricGrid(std::uint64_t floorBytes, std::uint64_t ceilingBytes, std::size_t points);

// How long a window lasts, as a share of a full one: firstWindowShare for
// the first window (when in (0, 1)), 1 for the others. The simulator and the
// proxy's control loop both cut windows by it.
double windowShare(const WindowConfig& window, bool firstWindow) noexcept;
// Requests in a window of `requests` at `share` (rounded, at least 1).
std::uint64_t windowRequests(std::uint64_t requests, double share) noexcept;

struct WindowFeatures {
  std::int64_t index = -1;          // window number; -1 = no window observed yet
  double startSeconds = 0.0;
  double durationSeconds = 0.0;
  // Observed on the real cache, exact.
  std::uint64_t requests = 0;
  std::uint64_t bytes = 0;
  std::uint64_t hits = 0;
  std::uint64_t byteHits = 0;
  double meanObjectBytes = 0.0;     // over requests
  double varObjectBytes = 0.0;
  double requestsPerSecond = 0.0;   // 0 when the window has no duration
  // Estimated: unique objects by HyperLogLog over all requests (~3% error);
  // the rest from the sampled keys.
  double uniqueObjects = 0.0;
  double oneHitWonderFraction = 0.0;  // of sampled objects requested once in the window
  double popularitySkew = 0.0;        // Zipf alpha estimate (log-log rank/frequency slope)
  std::array<double, kReuseBuckets> reuseHistogram{};  // fractions of sampled requests
  // What-if estimates: index [p * capacities.size() + c].
  std::vector<PolicyId> policies;
  std::vector<std::uint64_t> capacities;
  std::vector<double> hitRatio;
  std::vector<double> byteHitRatio;
  std::uint64_t sampledRequests = 0;
  // Controller state and the cost of this window.
  std::uint64_t capacityBytes = 0;
  PolicyId policy = 0;
  CostBreakdown cost;

  double hitRatioObserved() const noexcept { return requests ? double(hits) / double(requests) : 0.0; }
  double byteHitRatioObserved() const noexcept { return bytes ? double(byteHits) / double(bytes) : 0.0; }
  // Estimated byte hit ratio of (policy index, capacity) by linear
  // interpolation on the grid (clamped at its ends).
  double estimateByteHitRatio(std::size_t policyIndex, double capacityBytes) const noexcept;
  double estimateHitRatio(std::size_t policyIndex, double capacityBytes) const noexcept;
  // Index in `policies` of a policy id, or -1.
  int policyIndex(PolicyId id) const noexcept;
};

class WindowFeatureTracker {
 public:
  explicit WindowFeatureTracker(const WindowConfig& config);

  // One request, after the real cache answered; `index` is its position in
  // the trace (for reuse distances). noexcept; amortised O(1) plus the
  // sampled shadow accesses.
  // Inline: the unsampled path is on every request of the replay.
  void observe(const Request& request, bool hit, std::uint64_t index) noexcept {
    ++requests_;
    bytes_ += request.sizeBytes;
    if (hit) {
      ++hits_;
      byteHits_ += request.sizeBytes;
    }
    // Exact integer moments (no division on the per-request path).
    sizeSquares_ += static_cast<unsigned __int128>(request.sizeBytes) * request.sizeBytes;
    const std::uint64_t h = mixKey(request.key ^ config_.sampleSalt);
    const std::size_t reg = h >> 54;  // HyperLogLog: top 10 bits pick the register
    const auto rank = static_cast<std::uint8_t>(std::countl_zero((h << 10) | (1ull << 9)) + 1);
    if (rank > hll_[reg]) hll_[reg] = rank;
    if ((h >> 40) < sampleThreshold_) observeSampled(request, index);
  }
  // Requests [firstIndex, firstIndex + requests.size()) of the trace, in
  // order, counted as observe() counts them with hit = false; the caller
  // adds their hits with countHits(). The same features as observe() one by
  // one, for fewer instructions per request: the window counters stay in
  // registers for the whole batch (the replay calls it every few hundred
  // requests, right after the real cache answered them, so they are still
  // in the CPU's L1). noexcept; O(batch) plus the sampled shadow accesses.
  void observeBatch(std::span<const Request> requests, std::uint64_t firstIndex) noexcept;
  // Hits (and their bytes) of requests given to observeBatch() this window.
  void countHits(std::uint64_t hits, std::uint64_t byteHits) noexcept {
    hits_ += hits;
    byteHits_ += byteHits;
  }
  // Ends the window: returns its features and starts the next one. Shadow
  // caches keep their contents across windows (they model a warm cache).
  WindowFeatures close(double startSeconds, double endSeconds, std::uint64_t capacityBytes, PolicyId policy);

  const WindowConfig& config() const noexcept { return config_; }
  // The shadows' work so far (closed windows only): policy accesses of the
  // shadow caches plus one per sampled request for the LRU stack.
  std::uint64_t shadowAccesses() const noexcept { return shadowAccesses_; }
  // The current rate behind estimate k = p * grid + c.
  double shadowSamplingRate(std::size_t k) const noexcept;

 private:
  // Sampled requests fed to the shadows at once (a window close flushes
  // earlier): larger batches keep each shadow's state in the CPU caches
  // longer; 4096 (128 KiB) measured ~5% cheaper than 512 on the 1M-object trace.
  static constexpr std::size_t kShadowBatch = 4096;
  void observeSampled(const Request& request, std::uint64_t index) noexcept;
  void flushShadows() noexcept;
  void lowerShadowRates() noexcept;
  // Bank index of (row, capacity); row == bankRows_ is the LRU control.
  std::size_t bankIndex(std::size_t row, std::size_t c) const noexcept { return row * grid_ + c; }

  WindowConfig config_;
  std::size_t grid_;               // capacities
  std::uint64_t sampleThreshold_;  // sample iff mixKey(key ^ salt) >> 40 (= sampleHash) < threshold
  // LRU at every capacity at the full rate; also the reference of the
  // control variate.
  std::unique_ptr<LruStack> lru_;
  // The other policies' shadows: row j = bankRow_[p] for shadowPolicies[p]
  // (-1 for LRU), then one row of LRU controls (inactive at level 0).
  std::unique_ptr<ShadowBank> shadows_;
  std::vector<int> bankRow_;
  std::size_t bankRows_ = 0;                      // policy rows, controls excluded
  std::vector<std::uint32_t> levels_;             // [c]: rate halvings of capacity c's shadows
  std::vector<Request> pending_;                  // sampled requests not yet fed to the shadows
  // Window counters.
  std::uint64_t requests_ = 0, bytes_ = 0, hits_ = 0, byteHits_ = 0, sampled_ = 0;
  unsigned __int128 sizeSquares_ = 0;  // sum of squared request sizes
  std::array<std::uint8_t, 1024> hll_{};
  // Every sampled key ever seen: one hash lookup per sampled request serves
  // both the reuse distance and the window's request count.
  struct SampledKey {
    std::uint64_t lastIndex = 0;  // trace index of its latest request
    std::uint32_t window = 0;     // windowTag_ of the window it was last counted in
    std::uint32_t slot = 0;       // its count this window: windowCounts_[slot]
  };
  absl::flat_hash_map<std::uint64_t, SampledKey> sampledKeys_;
  std::vector<std::uint32_t> windowCounts_;  // requests this window, per sampled key requested in it
  std::uint32_t windowTag_ = 1;              // this window's tag; never 0 (a new key's)
  std::array<std::uint64_t, kReuseBuckets> reuse_{};
  std::int64_t windowIndex_ = 0;
  std::uint64_t shadowAccesses_ = 0;
};

}  // namespace edgecache::cachelib
