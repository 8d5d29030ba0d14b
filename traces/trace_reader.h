#pragma once
// Reading traces into memory. Every reader produces cachelib::Request values;
// nothing here knows about caches.
//
// Errors: a malformed line or truncated record stops the read and returns one
// line "PATH:LINE: field 'size': expected an unsigned integer, got 'abc'"
// (records: "PATH: record 17 (byte offset 408): truncated, 12 of 24 bytes").
// Lines are numbered from 1 (blank lines count); binary records from 0, so
// record N starts at byte N * record size (of the decompressed stream).
// Nothing throws out of these functions; all are reentrant (no shared state).
//
// Files are read in ~1 MiB blocks (never whole into memory); any path ending
// in ".zst" is zstd-decompressed on the fly, whatever the format. Text formats
// accept LF or CRLF line ends, skip blank lines, and separate fields by runs of
// spaces/tabs (csv: by the delimiter). Per format:
//   oracleGeneral  time, id, size, next_access_vtime as stored (INT64_MAX is
//                  read as "no next access"; a value that does not point
//                  after its own record is an error).
//   csv            see CsvOptions; time may be fractional.
//   tr             exactly "time id size"; id and size unsigned integers.
//   txt            the trimmed line is the key; unit size, time 0.
//   u32be          big-endian uint32 key; unit size, time 0.
//   tencent        time = the UTC timestamp in seconds since 1970 (timegm);
//                  key = XXH3_64bits(photo_id + fmt + size_cat), concatenated
//                  without separators; size = bytes. Every field is checked.
// Keys that are not decimal integers fitting uint64 (csv with hashKeys, txt)
// become XXH3_64bits of their bytes; "007" and "7" are the same key.

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
  // Header line: -1 = auto-detect (the first non-blank line is a header when
  // its key field is not a number and neither is any configured time/size
  // field, so a first line with a string key but numeric size is data),
  // 0 = none, 1 = present.
  int header = -1;
  // Fields are trimmed of blanks and of one pair of surrounding double
  // quotes; quoted fields containing the delimiter are not supported.
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
  // Stop after this many requests (0 = all), counted after zero-size skipping.
  std::uint64_t maxRequests = 0;
  // Fill Request::nextAccessIndex when the format does not carry it (else
  // kNoNextAccess). oracleGeneral keeps the file's values, except that they
  // are recomputed (whatever this flag says) when requests were skipped or
  // maxRequests cut the file, since they would point at the wrong requests.
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

// Number of distinct keys and the sum of their (first-seen) sizes. O(n).
struct WorkingSet {
  std::uint64_t objects = 0;
  std::uint64_t bytes = 0;
};
WorkingSet workingSet(const std::vector<cachelib::Request>& requests);

}  // namespace edgecache::traces
