#pragma once
// Cache-Control parsing (RFC 9111 §5.2) for responses and requests.
//
// Contract:
//  - Input is the message's HttpHeaders; all Cache-Control lines are combined
//    (RFC 9110 §5.3). Directive names are case-insensitive; arguments may be
//    tokens or quoted-strings (RFC 9111 §5.2: recipients accept both forms).
//  - Garbage never fails the parse: members that are not `token [= value]`
//    are skipped; unknown directives are ignored (RFC 9111 §5.2.3).
//  - Duplicates: for a directive with an argument the FIRST occurrence wins
//    (RFC 9111 §4.2.1 "either the first occurrence should be used or the
//    response should be considered stale"). Flag directives are a union, so
//    conflicting directives all survive and the rules honour the most
//    restrictive one (also §4.2.1), e.g. no-cache beats max-age, private
//    beats public.
//  - Invalid arguments: a response max-age / s-maxage that is not
//    delta-seconds is taken as 0, i.e. stale (§4.2.1 encourages treating
//    invalid freshness information as stale); a request max-age likewise
//    becomes 0 (forces validation). Invalid stale-while-revalidate,
//    stale-if-error, min-fresh and max-stale arguments drop the directive
//    (no extra staleness is granted on garbage).
//  - Values above 2^31 saturate (RFC 9111 §1.2.2).
//  - Pure, thread safe, no exceptions beyond bad_alloc.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

struct ResponseCacheControl {
  std::optional<std::chrono::seconds> maxAge;                // §5.2.2.1
  std::optional<std::chrono::seconds> sMaxAge;               // §5.2.2.10
  std::optional<std::chrono::seconds> staleWhileRevalidate;  // RFC 5861 §3
  std::optional<std::chrono::seconds> staleIfError;          // RFC 5861 §4
  bool noStore = false;                                      // §5.2.2.5
  bool noCache = false;  // §5.2.2.4, qualified or not (see noCacheFields)
  std::vector<std::string> noCacheFields;  // lower-cased names of no-cache="..."
  bool isPrivate = false;                  // §5.2.2.7, qualified or not
  std::vector<std::string> privateFields;  // lower-cased names of private="..."
  bool isPublic = false;                   // §5.2.2.9
  bool mustRevalidate = false;             // §5.2.2.2
  bool proxyRevalidate = false;            // §5.2.2.8
  bool mustUnderstand = false;             // §5.2.2.3
  bool noTransform = false;                // §5.2.2.6
  bool immutable = false;                  // RFC 8246
};

struct RequestCacheControl {
  std::optional<std::chrono::seconds> maxAge;    // §5.2.1.1
  bool maxStale = false;                         // §5.2.1.2 present at all
  std::optional<std::chrono::seconds> maxStaleLimit;  // its value; nullopt = any staleness
  std::optional<std::chrono::seconds> minFresh;  // §5.2.1.3
  std::optional<std::chrono::seconds> staleIfError;  // RFC 5861 §4 (request form)
  bool noCache = false;                          // §5.2.1.4 (or Pragma, see parser)
  bool noStore = false;                          // §5.2.1.5
  bool onlyIfCached = false;                     // §5.2.1.7
  bool noTransform = false;                      // §5.2.1.6
};

// One parsed member of a Cache-Control value, exposed for tests and logging.
struct CacheDirective {
  std::string name;                  // lower-cased
  std::optional<std::string> value;  // unquoted argument, if any
};

// Splits Cache-Control lines into directives (skipping malformed members).
std::vector<CacheDirective> parseCacheDirectives(const HttpHeaders& headers);

ResponseCacheControl parseResponseCacheControl(const HttpHeaders& responseHeaders);

// When `honorPragmaNoCache` is true and the request has no Cache-Control
// field, "Pragma: no-cache" sets noCache (RFC 7234 §5.4 behaviour).
RequestCacheControl parseRequestCacheControl(const HttpHeaders& requestHeaders,
                                             bool honorPragmaNoCache = true);

}  // namespace edgecache::proxy
