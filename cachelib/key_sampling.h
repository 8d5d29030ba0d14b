#pragma once
// Spatial key sampling (SHARDS, Waldspurger et al., FAST'15): a key is in the
// sample of rate R iff a hash of the key falls below R x 2^24. Every request of
// a sampled key is sampled, so a cache fed the sample and scaled down by R
// behaves like the full cache. Thresholds nest: the sample of a lower rate is
// a subset of the sample of any higher rate, which lets a shadow cache lower
// its rate later by dropping the keys above the new threshold.
//
// Pure functions, thread-safe, O(1).

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace edgecache::cachelib {

// 64-bit finaliser (splitmix64) used for sampling decisions: keys that are
// already hashes stay uniform, small integer keys get spread.
inline std::uint64_t mixKey(std::uint64_t key) noexcept {
  key += 0x9e3779b97f4a7c15ull;
  key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
  key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
  return key ^ (key >> 31);
}

// Sample hashes are the top 24 bits of mixKey(key ^ salt): [0, kSampleHashRange).
// Another salt draws another sample (to measure how much an estimate owes to
// which keys happened to be sampled).
inline constexpr std::uint32_t kSampleHashBits = 24;
inline constexpr std::uint32_t kSampleHashRange = 1u << kSampleHashBits;

inline std::uint32_t sampleHash(std::uint64_t key, std::uint64_t salt = 0) noexcept {
  return static_cast<std::uint32_t>(mixKey(key ^ salt) >> (64 - kSampleHashBits));
}

// Threshold of a sampling rate (clamped to [1/2^24, 1]): a key is sampled iff
// sampleHash(key) < threshold. The effective rate is threshold / 2^24.
inline std::uint32_t sampleThreshold(double rate) noexcept {
  const double r = std::clamp(rate, 0.0, 1.0);
  return std::clamp<std::uint32_t>(static_cast<std::uint32_t>(std::ceil(r * double(kSampleHashRange))), 1u,
                                   kSampleHashRange);
}

inline double sampleRate(std::uint32_t threshold) noexcept { return double(threshold) / double(kSampleHashRange); }

// A full-scale capacity scaled down to the sample of `threshold` (at least 1 B).
inline std::uint64_t scaledCapacity(std::uint64_t fullBytes, std::uint32_t threshold) noexcept {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(double(fullBytes) * sampleRate(threshold)));
}

}  // namespace edgecache::cachelib
