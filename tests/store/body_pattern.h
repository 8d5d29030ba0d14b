#pragma once
// Deterministic test bodies: the bytes of version `version` of `key` follow
// from (key, version) alone, so any process can check a body it did not
// write. Metadata carries the version ("v<version>"), so a reader that mixes
// two generations, or a record paired with the wrong chunks, is caught.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <xxhash.h>

namespace edgecache::store::testing {

inline std::uint64_t patternSeed(std::string_view key, std::uint64_t version) {
  return XXH64(key.data(), key.size(), version * 0x9E3779B97F4A7C15ull + 1);
}

// Body of `size` bytes (when given) or of a size in [0, maxBytes) derived
// from (key, version).
inline std::string patternBody(std::string_view key, std::uint64_t version, std::uint64_t maxBytes = 40000,
                               std::optional<std::uint64_t> size = std::nullopt) {
  std::uint64_t x = patternSeed(key, version);
  const std::uint64_t n = size ? *size : x % maxBytes;
  std::string body(n, '\0');
  for (std::uint64_t i = 0; i < n; ++i) {
    // xorshift64*: cheap, and no two versions share a prefix.
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    body[i] = static_cast<char>((x * 0x2545F4914F6CDD1Dull) >> 56);
  }
  return body;
}

inline std::string versionMetadata(std::uint64_t version) {
  std::string m = std::to_string(version);
  m.insert(m.begin(), 'v');  // not "v" + to_string(): GCC 12 -Wrestrict false positive
  return m;
}

inline std::optional<std::uint64_t> parseVersionMetadata(std::string_view metadata) {
  if (metadata.size() < 2 || metadata[0] != 'v') return std::nullopt;
  std::uint64_t v = 0;
  for (char c : metadata.substr(1)) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

}  // namespace edgecache::store::testing
