#pragma once
// Parsing and printing byte quantities as users type them.

#include <cstdint>
#include <string>
#include <string_view>

#include "cachelib/status.h"

namespace edgecache::cachelib {

// "1048576", "512MiB", "1.5GiB", "64KiB", "10MB" (decimal: 1 MB = 10^6 B),
// "2TiB", case-insensitive suffixes B, KB/KiB/K, MB/MiB/M, GB/GiB/G, TB/TiB/T
// (single letters are binary). Fractions are rounded down to whole bytes.
// Errors name the offending text.
Result<std::uint64_t> parseByteSize(std::string_view text);

// Exact binary form when it is exact ("512MiB", "1GiB", "1536B"), otherwise
// plain bytes. Round-trips through parseByteSize.
std::string formatByteSize(std::uint64_t bytes);

// Human, rounded: "1.5 GiB", "812 KiB", "17 B".
std::string humanBytes(double bytes);

}  // namespace edgecache::cachelib
