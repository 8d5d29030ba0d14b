#pragma once
// Request message framing checks (RFC 9112 §6), run by the glue on every
// request head before anything else, and the chunk-size line parser of the
// chunked decoder (RFC 9112 §7.1). Ambiguous framing is how request
// smuggling works, so anything unusual is rejected, with the connection to
// be closed after the error response (RFC 9112 §6.3).
//
// Rejected (status 400 unless noted):
//  - both Content-Length and Transfer-Encoding (§6.1 allows rejecting);
//  - Content-Length that is not 1*DIGIT, overflows 64 bits, appears on more
//    than one line or as a list ("42, 42" too: we do not fold duplicates);
//  - Transfer-Encoding in an HTTP/1.0 request (§6.1: faulty framing);
//  - Transfer-Encoding whose final coding is not chunked (§6.1: 400), chunked
//    applied twice, or any other transfer coding before chunked (501: we
//    implement only chunked, §6.1 "SHOULD respond with 501").
// Pure, thread safe, no exceptions beyond bad_alloc.

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

enum class BodyFraming {
  kNone,           // no body (neither field)
  kContentLength,  // contentLengthBytes bytes
  kChunked,        // chunked transfer coding
};

struct [[nodiscard]] FramingCheck {
  BodyFraming framing = BodyFraming::kNone;
  std::uint64_t contentLengthBytes = 0;  // for kContentLength
  int errorStatus = 0;                   // 0 when ok, else 400 or 501
  std::string reason;                    // empty when ok, else one line naming the field

  bool ok() const noexcept { return errorStatus == 0; }
};

FramingCheck validateRequestFraming(const HttpHeaders& requestHeaders, bool http10 = false);

struct [[nodiscard]] ChunkSizeLine {
  bool ok = false;
  std::uint64_t sizeBytes = 0;  // chunk-size; 0 means the last chunk
  std::string reason;           // when !ok
};

// Parses one chunk-size line WITHOUT its terminating CRLF:
//   chunk-size [ chunk-ext ]   with chunk-size = 1*HEXDIG and
//   chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ),
//   ext-val = token / quoted-string (extensions are validated and ignored).
// Rejects an empty size, leading whitespace or sign, "0x", sizes above
// 2^64-1, any CR/LF/NUL or other octet outside the grammar, and trailing
// garbage. O(line length).
ChunkSizeLine parseChunkSizeLine(std::string_view line);

}  // namespace edgecache::proxy
