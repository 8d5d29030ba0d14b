#pragma once
// Freshness lifetime, age and the serving decision for a shared cache
// (RFC 9111 §4, RFC 5861).
//
// Units: absolute times are HttpTime (sys_seconds), durations std::chrono::seconds.
// `requestTime` / `responseTime` are the proxy's clock readings when it sent
// the request to the origin and received the response head (RFC 9111 §4.2.3
// request_time / response_time); `now` is the current reading. Nothing here
// reads a clock. Pure, thread safe, no exceptions beyond bad_alloc.
//
// Choices where the RFC leaves room (documented once here):
//  - Missing or invalid Date: date_value = responseTime (RFC 9110 §6.6.1 has
//    a recipient record the receipt time as Date).
//  - Expires: first field line only; invalid (e.g. "0") means already
//    expired, lifetime 0 (RFC 9111 §5.3).
//  - Heuristic freshness (§4.2.2) only without explicit freshness and when
//    the status is heuristically cacheable or the response is public:
//    fraction * (date_value - Last-Modified), capped (CachingRulesConfig).
//    No default TTL: without Last-Modified the lifetime is 0.
//  - Stale serving is prohibited by no-cache, must-revalidate,
//    proxy-revalidate and s-maxage (§4.2.4, §5.2.2.10: s-maxage implies
//    proxy-revalidate for a shared cache). Prohibition beats max-stale,
//    stale-while-revalidate and stale-if-error.
//  - stale-if-error window: the response's value, the request's value
//    (RFC 5861 §4 allows both), or the smaller of the two when both exist.
//  - immutable (RFC 8246) is parsed but does not override a client's
//    no-cache / max-age=0: it addresses user agents' reloads, and a shared
//    cache keeps honouring the request.
//  - max-stale serves stale without revalidation (kServeStale); the glue
//    may still refresh in the background.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/caching_rules_config.h"
#include "proxy/http_date.h"
#include "proxy/http_headers.h"

namespace edgecache::proxy {

enum class FreshnessSource { kSMaxAge, kMaxAge, kExpires, kHeuristic, kNone };

struct FreshnessLifetime {
  std::chrono::seconds lifetime{0};
  FreshnessSource source = FreshnessSource::kNone;
};

// RFC 9111 §4.2.1 for a shared cache: s-maxage, else max-age, else
// Expires - date_value, else heuristic (§4.2.2), else 0.
FreshnessLifetime freshnessLifetime(int status, const HttpHeaders& responseHeaders, HttpTime responseTime,
                                    const CachingRulesConfig& config);

// The Age field's value (RFC 9111 §5.1): first member of the first line;
// nullopt (ignore the field) when absent or not a non-negative integer.
std::optional<std::chrono::seconds> parseAgeField(const HttpHeaders& headers);

// Age header value for a current age: clamped to [0, 2^31] (§5.1, §1.2.2).
std::string formatAge(std::chrono::seconds age);

// The intermediate values of RFC 9111 §4.2.3, exposed for tests and logs.
// Negative differences (clock skew) are clamped to 0.
struct AgeCalculation {
  std::chrono::seconds apparentAge{0};         // max(0, response_time - date_value)
  std::chrono::seconds responseDelay{0};       // response_time - request_time
  std::chrono::seconds correctedAgeValue{0};   // age_value + response_delay
  std::chrono::seconds correctedInitialAge{0}; // max(apparent_age, corrected_age_value)
  std::chrono::seconds residentTime{0};        // now - response_time
  std::chrono::seconds currentAge{0};          // corrected_initial_age + resident_time
};

AgeCalculation calculateAge(const HttpHeaders& responseHeaders, HttpTime requestTime, HttpTime responseTime,
                            HttpTime now);

// What the cache knows about one stored response.
struct StoredResponse {
  int status = 200;
  HttpHeaders headers;       // stored response header section (hop-by-hop removed)
  HttpTime requestTime{};    // when the request that produced it was sent
  HttpTime responseTime{};   // when its response head was received
  std::string varyKey;       // proxy/vary.h key of the request that produced it
};

enum class ServingAction {
  kServeFresh,                      // reuse as is
  kServeStale,                      // stale but the client allows it (max-stale)
  kServeStaleWhileRevalidate,       // reuse now, revalidate in the background (RFC 5861 §3)
  kRevalidate,                      // conditional request to the origin first; on origin failure
                                    // no stale reuse (502/504, and 504 for must-revalidate, §5.2.2.2)
  kRevalidateOrServeStaleOnError,   // as kRevalidate, but within the stale-if-error window the
                                    // stored response may answer if the origin fails (RFC 5861 §4)
  kGatewayTimeout,                  // only-if-cached and nothing usable: answer 504 (§5.2.1.7)
  kMiss,                            // no usable stored response (absent, Vary mismatch, method)
};

// Stable lower-case name for logs and metrics labels.
std::string_view servingActionName(ServingAction action) noexcept;

struct ServingDecision {
  ServingAction action = ServingAction::kMiss;
  std::chrono::seconds currentAge{0};  // for the Age header when serving
  FreshnessLifetime freshness;
  std::chrono::seconds staleness{0};   // max(0, currentAge - lifetime)
  std::string_view reason;             // static text naming the deciding rule
};

// Decides how to answer a request from a stored response (RFC 9111 §4,
// §4.2.4, §5.2.1, §5.2.2; RFC 5861). `stored` may be null (nothing stored
// under the primary key). Only GET and HEAD are answered from the cache.
// Honours: Vary (incl. "*"), request no-cache (and Pragma, per config),
// max-age, min-fresh, max-stale (with/without value), only-if-cached;
// response no-cache (qualified or not: always revalidate), must-revalidate,
// proxy-revalidate, s-maxage, stale-while-revalidate, stale-if-error.
ServingDecision decideServing(std::string_view method, const HttpHeaders& requestHeaders,
                              const StoredResponse* stored, HttpTime now, const CachingRulesConfig& config);

// RFC 5861 §4: the origin statuses that count as an error for stale-if-error
// (500, 502, 503, 504); connection failures count too (the glue's call).
bool isOriginErrorStatus(int status) noexcept;

}  // namespace edgecache::proxy
