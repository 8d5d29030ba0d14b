#pragma once
// Conditional requests (RFC 9110 §13) as they concern a cache:
//  - answering a client's If-None-Match / If-Modified-Since from a stored
//    response (RFC 9111 §4.3.2) and building the 304 (RFC 9110 §15.4.5);
//  - revalidating a stored response with the origin (RFC 9111 §4.3.1) and
//    folding the origin's 304 into it (§4.3.4, §3.2).
//
// Entity tags keep their quotes: an opaque tag is the text "\"abc\"".
// Pure, thread safe, no exceptions beyond bad_alloc; malformed validators are
// ignored (treated as not matching), never an error.

#include <chrono>
#include <optional>
#include <string_view>

#include "proxy/http_date.h"
#include "proxy/http_headers.h"

namespace edgecache::proxy {

struct EntityTag {
  bool weak = false;
  std::string_view opaque;  // including the double quotes
};

// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE (RFC 9110 §8.8.3). No OWS inside.
std::optional<EntityTag> parseEntityTag(std::string_view text) noexcept;
// RFC 9110 §8.8.3.2.
bool strongMatch(const EntityTag& a, const EntityTag& b) noexcept;
bool weakMatch(const EntityTag& a, const EntityTag& b) noexcept;

enum class ConditionalResult {
  kFullResponse,  // preconditions absent, false, or not applicable: send the stored response
  kNotModified,   // send 304 (notModifiedHeaders)
};

// Evaluates the client's If-None-Match, else If-Modified-Since, against a
// stored response that is being reused (RFC 9110 §13.2.2 order; §13.1.2,
// §13.1.3; RFC 9111 §4.3.2):
//  - only for GET and HEAD and a stored status of 200;
//  - If-None-Match: "*" matches any stored response; otherwise any listed tag
//    that weakly matches the stored ETag. When If-None-Match is present,
//    If-Modified-Since is ignored, matched or not;
//  - If-Modified-Since: ignored unless exactly one valid HTTP-date; compared
//    with the stored Last-Modified, else the stored Date; neither -> full.
// `now` only anchors rfc850 two-digit years. If-Match, If-Unmodified-Since
// and If-Range are not evaluated here (see hasOriginOnlyPreconditions and
// proxy/range.h).
ConditionalResult evaluateConditional(std::string_view method, const HttpHeaders& requestHeaders, int storedStatus,
                                      const HttpHeaders& storedHeaders, HttpTime now);

// True when the request carries If-Match or If-Unmodified-Since: such
// state-changing preconditions are left to the origin; the glue forwards.
bool hasOriginOnlyPreconditions(const HttpHeaders& requestHeaders);

// Header section of a 304 answered from the cache (RFC 9110 §15.4.5): the
// stored Cache-Control, Content-Location, Date, ETag, Expires and Vary, plus
// Last-Modified when there is no ETag (useful for cache updates), plus Age
// when `currentAge` is given.
HttpHeaders notModifiedHeaders(const HttpHeaders& storedHeaders, std::optional<std::chrono::seconds> currentAge);

// Request headers for revalidating a stored response with the origin
// (RFC 9111 §4.3.1): the client's headers minus its own If-None-Match,
// If-Modified-Since, If-Range and Range (we revalidate the whole stored
// response), plus If-None-Match: <stored ETag> and If-Modified-Since:
// <stored Last-Modified> when present (both when both, as RFC 9110 §13.1.3
// permits). Hop-by-hop stripping is the caller's (proxy/hop_by_hop.h).
HttpHeaders buildRevalidationRequest(const HttpHeaders& clientRequestHeaders, const HttpHeaders& storedHeaders);

// Whether the origin's 304 refers to this stored response (RFC 9111 §4.3.4):
// a strong ETag in the 304 must strongly match the stored ETag, a weak one
// weakly; without ETag, a Last-Modified in the 304 must equal the stored one.
// A 304 carrying no validator at all is accepted: we only send conditionals
// built from this one stored response, so it cannot mean another (RFC 9111
// asks for the stored response to lack validators too; we relax that).
bool notModifiedMatchesStored(const HttpHeaders& storedHeaders, const HttpHeaders& notModifiedHeaders, HttpTime now);

// Stored headers updated by a 304 (RFC 9111 §3.2): every field of the 304
// replaces the stored field of the same name (all its lines), except
//  - hop-by-hop fields and those named by Connection (§3.1);
//  - Content-Length (§3.2), and fields the stored body depends on:
//    Content-Encoding, Content-Range, Transfer-Encoding, and Vary (the stored
//    variant's secondary key cannot be re-keyed by a 304).
// Age is always taken from the 304 (removed if it has none) and Date set to
// `receivedTime` when the 304 has none (RFC 9110 §6.6.1): the glue resets the
// entry's requestTime/responseTime to the revalidation's, so an old Age or
// Date would be counted twice.
HttpHeaders mergeNotModified(const HttpHeaders& storedHeaders, const HttpHeaders& notModifiedHeaders,
                             HttpTime receivedTime);

}  // namespace edgecache::proxy
