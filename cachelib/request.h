#pragma once
// One cache request as every module sees it: traces produce it, the cache and
// the simulator consume it, the proxy builds one per HTTP request.

#include <cstdint>

namespace edgecache::cachelib {

// "No later request for this key" (oracleGeneral's next_access_vtime == -1).
inline constexpr std::int64_t kNoNextAccess = -1;

// Plain value, 32 bytes; trivially copyable so traces can be decoded into one
// contiguous std::vector<Request> and replayed at memory speed.
struct Request {
  double timeSeconds = 0.0;       // trace time in seconds (0 when the trace has none)
  std::uint64_t key = 0;          // object identity (already hashed for string ids)
  std::uint64_t sizeBytes = 0;    // object size in bytes (1 for unit-size traces)
  // 1-based index in the trace of the next request for the same key, or
  // kNoNextAccess. Only the offline Belady policy reads it.
  std::int64_t nextAccessIndex = kNoNextAccess;
};

}  // namespace edgecache::cachelib
