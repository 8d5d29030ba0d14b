#pragma once
// The project's seeded PRNG (the generator's, and the agent's sampling), so a
// seed gives the same stream everywhere (std::mt19937 would too, but std::*_distribution would
// not; we build every distribution on top of this).
//
// splitmix64 expands a seed; xoshiro256** (Blackman & Vigna) is the stream.
// Not thread-safe: one instance per generating thread. All operations O(1).

#include <cstdint>

namespace edgecache::traces {

// One step of splitmix64: advances `state`, returns a well-mixed value.
constexpr std::uint64_t splitMix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A stateless 64-bit mix (bijective), for per-object values derived from ids.
constexpr std::uint64_t mix64(std::uint64_t value) noexcept {
  std::uint64_t state = value;
  return splitMix64(state);
}

class Xoshiro256 {
 public:
  explicit constexpr Xoshiro256(std::uint64_t seed) noexcept {
    std::uint64_t state = seed;
    for (auto& word : s_) word = splitMix64(state);
  }

  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  constexpr double uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1]: safe to take the logarithm of.
  constexpr double uniformPositive() noexcept { return static_cast<double>((next() >> 11) + 1) * 0x1.0p-53; }
  // Uniform integer in [0, bound), bound > 0 (Lemire's multiply-high; bias < bound / 2^64).
  constexpr std::uint64_t below(std::uint64_t bound) noexcept {
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * bound) >> 64);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4] = {};
};

}  // namespace edgecache::traces
