#pragma once
// Reading traces into memory. Every reader produces cachelib::Request values;
// nothing here knows about caches.
//
// Errors: a malformed line or truncated record stops the read and returns one
// line "PATH:LINE: field 'size': expected an unsigned integer, got 'abc'"
// (records: "PATH: record 17 (byte offset 408): truncated, 12 of 24 bytes").
// Nothing throws out of these functions.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cachelib/request.h"
#include "cachelib/status.h"
#include "traces/trace_format.h"

namespace edgecache::traces {

struct CsvOptions {
  // 1-based column numbers; 0 = absent (time 0 / size 1). Defaults fit
  // libCacheSim's cloudPhysicsIO.csv ("version,time,op,size,lbn").
  int timeColumn = 2;
  int keyColumn = 5;
  int sizeColumn = 4;
  // Header line: -1 = auto-detect (first line's key field is not a number),
  // 0 = none, 1 = present.
  int header = -1;
  char delimiter = ',';
  // Keys that are not decimal integers are hashed (xxh3) instead of rejected.
  bool hashKeys = true;
};

struct ReadOptions {
  // Empty = detectFormat(path).
  std::optional<TraceFormat> format;
  CsvOptions csv;
  // libCacheSim skips requests of size 0; so do we by default (counted).
  bool skipZeroSize = true;
  // Stop after this many requests (0 = all).
  std::uint64_t maxRequests = 0;
  // Fill Request::nextAccessIndex when the format does not carry it.
  bool computeNextAccess = true;
  // Called now and then with (bytes read, total bytes) for progress display.
  std::function<void(std::uint64_t, std::uint64_t)> progress;
};

struct Trace {
  std::vector<cachelib::Request> requests;
  TraceFormat format = TraceFormat::kOracleGeneral;
  std::uint64_t skippedZeroSize = 0;
  bool hasTimestamps = false;   // false for txt/u32be (times are 0)
  bool unitSize = false;        // true for txt/u32be (every size is 1)
};

cachelib::Result<Trace> readTrace(const std::string& path, const ReadOptions& options = {});

// Sets nextAccessIndex of every request (1-based index of the next request to
// the same key, or kNoNextAccess), as libCacheSim's oracleGeneral does. O(n).
void computeNextAccess(std::vector<cachelib::Request>& requests);

// Number of distinct keys and the sum of their (first-seen) sizes.
struct WorkingSet {
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
};
WorkingSet workingSet(const std::vector<cachelib::Request>& requests);

}  // namespace edgecache::traces
