#pragma once
// Whether a response may be stored by a SHARED cache (RFC 9111 §3).
//
// Rules, in the order checked (the first failing one is the reason):
//  1. Method: only GET responses are stored. HEAD responses are not (they
//     carry no body; a HEAD is served from a stored GET instead). Other
//     methods are never stored (no POST caching, §2).
//  2. Status: final only (no 1xx); 304 is not a full response; 206 only when
//     CachingRulesConfig::storePartialContent.
//  3. no-store in the request (§5.2.1.5) or in the response (§5.2.2.5); a
//     response no-store is ignored when must-understand is present and the
//     status is one we understand (§5.2.2.3), and must-understand with a
//     status we do not understand forbids storing.
//  4. private (§5.2.2.7). The qualified form private="field" is treated as
//     unqualified (allowed by §5.2.2.7: "often handled as unqualified"),
//     which is conservative.
//  5. Authorization in the request: only with public, s-maxage or
//     must-revalidate in the response (§3.5).
//  6. Vary: * (never matches, §4.1; pointless to store).
//  7. Size: Content-Length above CachingRulesConfig::maxObjectBytes.
//  8. §3's "at least one of": public, Expires, max-age, s-maxage, or a
//     heuristically cacheable status (RFC 9110 §15.1). Any final status with
//     explicit freshness is storable.
//  9. Our choice where the RFC leaves room (§3 "some caches will not store a
//     response that has neither a cache validator nor an explicit expiration
//     time"): without explicit freshness (max-age, s-maxage, Expires) the
//     response must carry a validator (ETag or Last-Modified). There is no
//     default TTL: with only an ETag it is stored but stale on arrival, so
//     each reuse is a conditional request (proxy/freshness.h); with
//     Last-Modified it may get heuristic freshness.
//
// Pure, thread safe, no allocation beyond header parsing.

#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/caching_rules_config.h"
#include "proxy/http_headers.h"

namespace edgecache::proxy {

// RFC 9110 §15.1: 200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501.
bool isHeuristicallyCacheableStatus(int status) noexcept;

// Status codes whose caching semantics this cache implements (for
// must-understand, RFC 9111 §5.2.2.3): the heuristic set plus 302, 303, 307.
bool isUnderstoodStatus(int status) noexcept;

struct [[nodiscard]] Storability {
  bool storable = false;
  std::string_view reason;  // static text naming the rule; "storable" on success
};

// `contentLengthBytes`: the body size when known (Content-Length), else
// nullopt (the glue enforces the limit while streaming).
Storability evaluateStorability(std::string_view method, const HttpHeaders& requestHeaders, int status,
                                const HttpHeaders& responseHeaders, std::optional<std::uint64_t> contentLengthBytes,
                                const CachingRulesConfig& config);

}  // namespace edgecache::proxy
