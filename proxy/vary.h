#pragma once
// Vary (RFC 9110 §12.5.5, RFC 9111 §4.1): the secondary cache key.
//
// A stored response with Vary is reusable for a new request only when the
// new request's values of the Vary-listed fields match those of the request
// that produced it. We store, with each response, a normalised "vary key"
// computed from the original request and recompute it for each new request.
//
// Normalisation (the transformations RFC 9111 §4.1 allows):
//  - field names lower-cased, de-duplicated and sorted, so the key does not
//    depend on the order or case of the Vary list;
//  - all lines of a field combined; each comma-separated member (quote-aware)
//    OWS-trimmed and re-joined with "," (whitespace around commas is not
//    significant); values otherwise byte-exact (case-sensitive);
//  - an absent field is distinct from an empty one (§4.1: absent only
//    matches absent).
// Encoding: per name "name" then ":" length ":" value, or "name" "!" when
// absent, then "\n"; length-prefixing makes the key unambiguous whatever
// the values contain.
//
// A Vary member "*" never matches (§4.1); such responses are not stored
// (proxy/storability.h). Pure, thread safe; O(total header bytes).

#include <string>
#include <vector>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

// True when the response's Vary lists "*".
bool varyHasWildcard(const HttpHeaders& responseHeaders);

// Lower-cased, sorted, unique field names listed in Vary ("*" excluded).
std::vector<std::string> varyFieldNames(const HttpHeaders& responseHeaders);

// The secondary key of `requestHeaders` under the response's Vary; "" when
// the response has no Vary (so every request matches).
std::string varyKey(const HttpHeaders& responseHeaders, const HttpHeaders& requestHeaders);

// Whether a stored response (its headers and the vary key stored with it)
// can be selected for `newRequestHeaders`. Always false when Vary has "*".
bool varyMatches(const HttpHeaders& storedResponseHeaders, const std::string& storedVaryKey,
                 const HttpHeaders& newRequestHeaders);

}  // namespace edgecache::proxy
