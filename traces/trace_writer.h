#pragma once
// Writing traces as libCacheSim oracleGeneral (the fast replay format), with
// next-access indexes computed from the requests themselves.

#include <string>
#include <vector>

#include "cachelib/request.h"
#include "cachelib/status.h"

namespace edgecache::traces {

// Writes 24-byte little-endian records (uint32 time s | uint64 id | uint32
// size | int64 next_access_vtime). Sizes above 4 GiB-1 and times above 2^32-1
// are refused with an error naming the request index. A path ending in .zst is
// zstd-compressed (level 3). Next-access indexes are recomputed, not taken
// from input. Times are truncated to whole seconds. Everything is checked
// before writing, and the file is written as PATH.partial then renamed, so a
// failure never leaves a partial trace at PATH. O(n) time, ~32 B per request
// of extra memory.
cachelib::Status writeOracleGeneral(const std::string& path, const std::vector<cachelib::Request>& requests);

}  // namespace edgecache::traces
