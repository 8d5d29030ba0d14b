#pragma once
// Range requests answered from a stored full (200) response
// (RFC 9110 §14, §13.1.5).
//
// Policy (where RFC 9110 lets a server choose):
//  - only GET (§14.2) and only the "bytes" unit; other units are ignored;
//  - exactly one range-spec: "a-b", "a-" or "-n". Multiple ranges (which
//    would need multipart/byteranges) and any syntactically invalid Range
//    (including last < first, several Range lines) are ignored: full 200;
//  - a valid but unsatisfiable range -> 416 with "Content-Range: bytes */len"
//    (first-pos >= len, a suffix of length 0, or any range of an empty
//    representation);
//  - last-pos beyond the end is clamped; a suffix longer than the
//    representation selects all of it; positions too large for 64 bits
//    saturate;
//  - If-Range (§13.1.5) is evaluated first when Range is present: an entity
//    tag must strongly match the stored ETag (a weak tag never matches); an
//    HTTP-date must equal the stored Last-Modified and that Last-Modified
//    must be strong (at least one second before the stored Date, §8.8.2.2);
//    anything else (including garbage) -> ignore Range, full 200.
// Pure, thread safe, no exceptions beyond bad_alloc.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/http_date.h"
#include "proxy/http_headers.h"

namespace edgecache::proxy {

enum class RangeOutcome {
  kFull,           // 200 with the whole body
  kPartial,        // 206 with bytes [firstByte, lastByte]
  kUnsatisfiable,  // 416
};

struct RangeDecision {
  RangeOutcome outcome = RangeOutcome::kFull;
  int status = 200;
  std::uint64_t firstByte = 0;           // inclusive; valid for kPartial
  std::uint64_t lastByte = 0;            // inclusive; valid for kPartial
  std::uint64_t contentLengthBytes = 0;  // body bytes to send (0 for 416)
  std::string contentRange;              // Content-Range value; empty for kFull
};

// Parses one "bytes=..." value against `fullLengthBytes` (no If-Range, no
// method check): the core of evaluateRange, exposed for tests.
RangeDecision parseByteRange(std::string_view rangeValue, std::uint64_t fullLengthBytes);

// True when If-Range (trimmed value) lets the Range apply to the stored
// response (see above). `now` anchors rfc850 years only.
bool ifRangeMatches(std::string_view ifRangeValue, const HttpHeaders& storedHeaders, HttpTime now);

// Full decision for a request answered from a stored 200 response whose body
// is `fullLengthBytes` long.
RangeDecision evaluateRange(std::string_view method, const HttpHeaders& requestHeaders,
                            const HttpHeaders& storedHeaders, std::uint64_t fullLengthBytes, HttpTime now);

}  // namespace edgecache::proxy
