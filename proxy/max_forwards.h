#pragma once
// Max-Forwards (RFC 9110 §7.6.2): the hop limit of TRACE and OPTIONS
// requests. An intermediary decrements it before forwarding; one that
// receives 0 must not forward the request and answers it itself.
//
// Pure, thread safe; no exceptions beyond std::bad_alloc.

#include <string>
#include <string_view>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

enum class MaxForwardsAction {
  kForward,     // forward as is: not TRACE/OPTIONS, no Max-Forwards, or a value that is not 1*DIGIT
  kDecremented, // forward: the field now holds the received value minus one
  kAnswerHere,  // the received value was 0: respond as the final recipient
};

// Applies the rule to `requestHeaders` of a request with `method` (case
// sensitive, as methods are). Several Max-Forwards lines count as an
// unparseable value. O(number of fields).
MaxForwardsAction applyMaxForwards(std::string_view method, HttpHeaders& requestHeaders);

// The content of a final recipient's 200 to TRACE (RFC 9110 §9.3.8,
// "message/http"): the request line and the header fields as received, less
// the fields that carry credentials (Authorization, Proxy-Authorization,
// Cookie). `version` is 10 or 11.
std::string traceReflection(std::string_view method, std::string_view target, unsigned version,
                            const HttpHeaders& requestHeaders);

}  // namespace edgecache::proxy
