#pragma once
// Trace formats edgecache reads, and how a format is chosen for a path.

#include <optional>
#include <string>
#include <string_view>

#include "cachelib/status.h"

namespace edgecache::traces {

enum class TraceFormat {
  kOracleGeneral,  // libCacheSim packed 24-byte LE records (optionally .zst)
  kCsv,            // libCacheSim-style CSV, configurable columns
  kTimeIdSize,     // "time id size" text (webcachesim/LRB), extension .tr
  kTxt,            // one key per line (unit size)
  kU32be,          // big-endian uint32 keys, 4 bytes each (unit size)
  kTencent,        // Tencent QQPhoto CDN sample text
};

// "oracleGeneral", "csv", "tr", "txt", "u32be", "tencent".
std::string_view formatName(TraceFormat format) noexcept;
// Case-insensitive; also accepts "oraclegeneral".
cachelib::Result<TraceFormat> parseFormat(std::string_view name);
// By extension, where unambiguous: *.oracleGeneral.bin[.zst], *.oracleGeneral[.zst],
// *.csv, *.tr, *.txt (a .txt whose name contains "tencent" is kTencent), *.u32be.
// Error message names the path and lists --format values.
cachelib::Result<TraceFormat> detectFormat(std::string_view path);

}  // namespace edgecache::traces
