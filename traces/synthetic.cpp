#include "traces/synthetic.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "traces/prng.h"
#include "traces/zipf_sampler.h"

namespace edgecache::traces {
namespace {

// Stream tags: each concern draws from its own PRNG so that, e.g., a different
// rate model leaves the key sequence unchanged.
constexpr std::uint64_t kPopularityStream = 0x706f70756c6172ull;  // "popular"
constexpr std::uint64_t kDriftStream = 0x6472696674ull;            // "drift"
constexpr std::uint64_t kTimeStream = 0x74696d65ull;               // "time"
constexpr std::uint64_t kLayoutStream = 0x6c61796f7574ull;         // "layout"
constexpr std::uint64_t kSizeStream = 0x73697a65ull;               // "size"
constexpr std::uint64_t kOneHitStream = 0x6f6e65686974ull;         // "onehit"

Xoshiro256 stream(std::uint64_t seed, std::uint64_t tag) { return Xoshiro256(mix64(seed) ^ mix64(tag)); }

double clamp01(double x) { return std::isfinite(x) ? std::clamp(x, 0.0, 1.0) : 0.0; }

SyntheticConfig sanitized(SyntheticConfig c) {
  c.objects = std::max<std::uint64_t>(c.objects, 1);
  if (!(c.zipfAlpha >= 0.0) || !std::isfinite(c.zipfAlpha)) c.zipfAlpha = 0.0;
  if (!std::isfinite(c.sizeMu)) c.sizeMu = 0.0;
  if (!(c.sizeSigma >= 0.0) || !std::isfinite(c.sizeSigma)) c.sizeSigma = 0.0;
  c.minSizeBytes = std::max<std::uint64_t>(c.minSizeBytes, 1);
  c.maxSizeBytes = std::max(c.maxSizeBytes, c.minSizeBytes);
  c.chunkBytes = std::max<std::uint64_t>(c.chunkBytes, 1);
  c.rotateEveryRequests = std::max<std::uint64_t>(c.rotateEveryRequests, 1);
  c.flashStartFraction = clamp01(c.flashStartFraction);
  c.flashLengthFraction = clamp01(c.flashLengthFraction);
  c.flashShare = clamp01(c.flashShare);
  c.flashObjects = std::max<std::uint64_t>(c.flashObjects, 1);
  c.arrivalsPerRequest = clamp01(c.arrivalsPerRequest);
  c.oneHitShare = clamp01(c.oneHitShare);
  if (!(c.meanRequestsPerSecond > 0.0) || !std::isfinite(c.meanRequestsPerSecond)) c.meanRequestsPerSecond = 1.0;
  c.rateAmplitude = clamp01(c.rateAmplitude);
  if (!(c.ratePeriodSeconds > 0.0) || !std::isfinite(c.ratePeriodSeconds)) c.ratePeriodSeconds = 3600.0;
  return c;
}

// Size of object `id`: a pure function of (seed, id), so an object keeps its
// size whenever and however often it is requested.
class SizeModelSampler {
 public:
  SizeModelSampler(const SyntheticConfig& c) : c_(c), salt_(mix64(c.seed ^ mix64(kSizeStream))) {}

  std::uint64_t sizeOf(std::uint64_t id) const {
    switch (c_.sizeModel) {
      case SizeModel::kUnit: return 1;
      case SizeModel::kFixedChunk: return c_.chunkBytes;
      case SizeModel::kLognormal: break;
    }
    std::uint64_t state = salt_ ^ id;
    const double u1 = static_cast<double>((splitMix64(state) >> 11) + 1) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(splitMix64(state) >> 11) * 0x1.0p-53;        // [0, 1)
    // Box-Muller (one of the pair is enough).
    const double normal = std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
    const double bytes = std::exp(c_.sizeMu + c_.sizeSigma * normal);
    // Compare as doubles first: exp() may be huge or inf.
    if (!(bytes < static_cast<double>(c_.maxSizeBytes))) return c_.maxSizeBytes;
    if (!(bytes > static_cast<double>(c_.minSizeBytes))) return c_.minSizeBytes;
    return std::clamp(static_cast<std::uint64_t>(bytes + 0.5), c_.minSizeBytes, c_.maxSizeBytes);
  }

 private:
  const SyntheticConfig& c_;
  std::uint64_t salt_;
};

// Non-homogeneous Poisson arrivals by thinning (Lewis & Shedler): propose at
// the peak rate, keep a proposal with probability rate(t) / peak.
class ArrivalClock {
 public:
  ArrivalClock(const SyntheticConfig& c)
      : rng_(stream(c.seed, kTimeStream)),
        mean_(c.meanRequestsPerSecond),
        amplitude_(c.rateAmplitude),
        omega_(2.0 * std::numbers::pi / c.ratePeriodSeconds),
        peak_(c.meanRequestsPerSecond * (1.0 + c.rateAmplitude)) {}

  double next() {
    for (;;) {
      now_ += -std::log(rng_.uniformPositive()) / peak_;
      if (amplitude_ == 0.0) return now_;
      const double rate = mean_ * (1.0 + amplitude_ * std::sin(omega_ * now_));
      if (rng_.uniform() * peak_ < rate) return now_;
    }
  }

 private:
  Xoshiro256 rng_;
  double mean_;
  double amplitude_;
  double omega_;
  double peak_;
  double now_ = 0.0;
};

struct CatalogueSlot {
  std::uint64_t id = 0;
  std::uint64_t sizeBytes = 0;
};

// computeNextAccess() for keys known to lie in [0, keyLimit): a flat array
// instead of a hash map, ~5x faster on 10M requests over 1M objects.
void fillNextAccess(std::vector<cachelib::Request>& requests, std::uint64_t keyLimit) {
  std::vector<std::int64_t> nextSeen(keyLimit, cachelib::kNoNextAccess);
  for (std::size_t i = requests.size(); i-- > 0;) {
    auto& seen = nextSeen[requests[i].key];
    requests[i].nextAccessIndex = seen;
    seen = static_cast<std::int64_t>(i + 1);
  }
}

}  // namespace

cachelib::Result<SyntheticConfig> syntheticPreset(const std::string& name) {
  SyntheticConfig c;  // the defaults are the "stationary" preset
  if (name == "stationary") return c;
  if (name == "rotating") {
    c.drift = DriftModel::kRotating;
    c.rotateEveryRequests = 100'000;
    c.rotateShift = 5'000;
    return c;
  }
  if (name == "flash") {
    c.drift = DriftModel::kFlashCrowd;
    c.flashStartFraction = 0.5;
    c.flashLengthFraction = 0.1;
    c.flashShare = 0.5;
    c.flashObjects = 100;
    return c;
  }
  if (name == "video") {
    c.objects = 50'000;
    c.zipfAlpha = 0.8;
    c.sizeModel = SizeModel::kFixedChunk;
    c.chunkBytes = 2ull << 20;
    c.drift = DriftModel::kRotating;
    c.rotateEveryRequests = 100'000;
    c.rotateShift = 2'000;
    c.meanRequestsPerSecond = 500.0;
    return c;
  }
  if (name == "arrivals") {
    c.drift = DriftModel::kNewArrivals;
    c.arrivalsPerRequest = 0.005;
    return c;
  }
  return cachelib::Result<SyntheticConfig>::error("unknown synthetic preset '" + name +
                                                  "'; expected one of: stationary, rotating, flash, video, arrivals");
}

cachelib::Status validateSyntheticConfig(const SyntheticConfig& c) {
  const auto bad = [](const char* field, const std::string& rule) {
    return cachelib::Status::error("synthetic config: field '" + std::string(field) + "': " + rule);
  };
  const auto isFraction = [](double x) { return x >= 0.0 && x <= 1.0; };
  if (c.objects == 0) return bad("objects", "must be >= 1");
  if (!(c.zipfAlpha >= 0.0 && std::isfinite(c.zipfAlpha))) return bad("zipfAlpha", "must be a finite number >= 0");
  if (!std::isfinite(c.sizeMu)) return bad("sizeMu", "must be finite");
  if (!(c.sizeSigma >= 0.0 && std::isfinite(c.sizeSigma))) return bad("sizeSigma", "must be a finite number >= 0");
  if (c.minSizeBytes == 0) return bad("minSizeBytes", "must be >= 1 (readers drop zero-size requests)");
  if (c.minSizeBytes > c.maxSizeBytes) return bad("maxSizeBytes", "must be >= minSizeBytes");
  if (c.chunkBytes == 0) return bad("chunkBytes", "must be >= 1");
  if (c.rotateEveryRequests == 0) return bad("rotateEveryRequests", "must be >= 1");
  if (!isFraction(c.flashStartFraction)) return bad("flashStartFraction", "must be in [0, 1]");
  if (!isFraction(c.flashLengthFraction)) return bad("flashLengthFraction", "must be in [0, 1]");
  if (!isFraction(c.flashShare)) return bad("flashShare", "must be in [0, 1]");
  if (c.flashObjects == 0) return bad("flashObjects", "must be >= 1");
  if (!isFraction(c.arrivalsPerRequest)) return bad("arrivalsPerRequest", "must be in [0, 1]");
  if (!isFraction(c.oneHitShare)) return bad("oneHitShare", "must be in [0, 1]");
  if (!(c.meanRequestsPerSecond > 0.0 && std::isfinite(c.meanRequestsPerSecond))) {
    return bad("meanRequestsPerSecond", "must be a finite number > 0");
  }
  if (!isFraction(c.rateAmplitude)) return bad("rateAmplitude", "must be in [0, 1]");
  if (!(c.ratePeriodSeconds > 0.0 && std::isfinite(c.ratePeriodSeconds))) {
    return bad("ratePeriodSeconds", "must be a finite number > 0");
  }
  return cachelib::Status::ok();
}

std::vector<cachelib::Request> generateSynthetic(const SyntheticConfig& config) {
  const SyntheticConfig c = sanitized(config);
  const std::uint64_t n = c.objects;

  // Catalogue ring: slot (head + rank - 1) mod n holds the object of that rank.
  // Ids are a seeded permutation of 1..n so an id says nothing about
  // popularity. The size rides along with the id: one cache line per lookup.
  const SizeModelSampler sizes(c);
  std::vector<CatalogueSlot> ring(n);
  for (std::uint64_t i = 0; i < n; ++i) ring[i].id = i + 1;
  Xoshiro256 layout = stream(c.seed, kLayoutStream);
  for (std::uint64_t i = n - 1; i > 0; --i) std::swap(ring[i].id, ring[layout.below(i + 1)].id);
  for (auto& slot : ring) slot.sizeBytes = sizes.sizeOf(slot.id);
  std::uint64_t head = 0;
  std::uint64_t nextNewId = n + 1;

  const ZipfSampler catalogue(n, c.zipfAlpha);
  const ZipfSampler crowd(c.flashObjects, c.zipfAlpha);
  Xoshiro256 popularity = stream(c.seed, kPopularityStream);
  Xoshiro256 drift = stream(c.seed, kDriftStream);
  Xoshiro256 oneHit = stream(c.seed, kOneHitStream);  // drawn from only when oneHitShare > 0
  CatalogueSlot oneHitObject;
  ArrivalClock clock(c);

  const double total = static_cast<double>(c.requests);
  const auto flashStart = static_cast<std::uint64_t>(c.flashStartFraction * total);
  const auto flashEnd =
      std::min(c.requests, static_cast<std::uint64_t>((c.flashStartFraction + c.flashLengthFraction) * total));
  std::vector<CatalogueSlot> flashObjects;  // filled when the crowd arrives
  const std::uint64_t rotateShift = c.rotateShift % n;

  std::vector<cachelib::Request> requests;
  requests.reserve(static_cast<std::size_t>(c.requests));
  for (std::uint64_t i = 0; i < c.requests; ++i) {
    cachelib::Request request;
    request.timeSeconds = clock.next();

    bool flashRequest = false;
    switch (c.drift) {
      case DriftModel::kNone: break;
      case DriftModel::kRotating:
        if (i > 0 && i % c.rotateEveryRequests == 0) {
          head += rotateShift;
          if (head >= n) head -= n;
        }
        break;
      case DriftModel::kNewArrivals:
        if (drift.uniform() < c.arrivalsPerRequest) {
          // The newcomer takes rank 1; the coldest object leaves the ring.
          head = head == 0 ? n - 1 : head - 1;
          ring[head] = {nextNewId, sizes.sizeOf(nextNewId)};
          ++nextNewId;
        }
        break;
      case DriftModel::kFlashCrowd:
        if (i == flashStart) {
          flashObjects.resize(c.flashObjects);
          for (auto& object : flashObjects) {
            object = {nextNewId, sizes.sizeOf(nextNewId)};
            ++nextNewId;
          }
        }
        flashRequest = i >= flashStart && i < flashEnd && drift.uniform() < c.flashShare;
        break;
    }

    const CatalogueSlot* object = nullptr;
    if (c.oneHitShare > 0.0 && oneHit.uniform() < c.oneHitShare) {
      // Ids above every catalogue, arrival and flash id ever handed out.
      oneHitObject = {nextNewId, sizes.sizeOf(nextNewId)};
      ++nextNewId;
      object = &oneHitObject;
    } else if (flashRequest) {
      object = &flashObjects[crowd.sample(popularity) - 1];
    } else {
      std::uint64_t slot = head + catalogue.sample(popularity) - 1;
      if (slot >= n) slot -= n;
      object = &ring[slot];
    }
    request.key = object->id;
    request.sizeBytes = object->sizeBytes;
    requests.push_back(request);
  }
  fillNextAccess(requests, nextNewId);
  return requests;
}

}  // namespace edgecache::traces
