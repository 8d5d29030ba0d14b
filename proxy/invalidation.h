#pragma once
// Invalidation after unsafe requests (RFC 9111 §4.4).
//
// When a response to an unsafe method (anything but GET, HEAD, OPTIONS,
// TRACE, RFC 9110 §9.2.1; unknown methods count as unsafe) has a non-error
// status (2xx or 3xx), the target URI is invalidated, and so are the URIs in
// Location and Content-Location when they have the same origin as the target
// (§4.4 forbids cross-origin invalidation: denial-of-service protection).
// Invalidating a key means every stored variant (all Vary keys) under it.
// Pure, thread safe.

#include <string>
#include <string_view>
#include <vector>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

// RFC 9110 §9.2.1 safe methods (case-sensitive method names).
bool isSafeMethod(std::string_view method) noexcept;

// Cache keys (proxy/cache_key.h form) to invalidate; `targetKey` is the
// request's cache key. Relative Location / Content-Location references are
// resolved against it. Order: target first, then Location, then
// Content-Location, duplicates removed. Empty when nothing is invalidated.
std::vector<std::string> keysToInvalidate(std::string_view method, int status, std::string_view targetKey,
                                          const HttpHeaders& responseHeaders);

}  // namespace edgecache::proxy
