#include "proxy/freshness.h"

#include <algorithm>

#include "proxy/cache_control.h"
#include "proxy/storability.h"
#include "proxy/vary.h"

namespace edgecache::proxy {

namespace {

using std::chrono::seconds;

HttpTime dateValue(const HttpHeaders& headers, HttpTime responseTime) {
  auto date = headers.get("date");
  if (!date) return responseTime;
  auto parsed = parseHttpDate(*date, responseTime);
  return parsed ? *parsed : responseTime;
}

seconds nonNegative(seconds s) { return std::max(s, seconds(0)); }

}  // namespace

FreshnessLifetime freshnessLifetime(int status, const HttpHeaders& responseHeaders, HttpTime responseTime,
                                    const CachingRulesConfig& config) {
  auto cc = parseResponseCacheControl(responseHeaders);
  if (cc.sMaxAge) return {*cc.sMaxAge, FreshnessSource::kSMaxAge};
  if (cc.maxAge) return {*cc.maxAge, FreshnessSource::kMaxAge};
  auto date = dateValue(responseHeaders, responseTime);
  if (auto expires = responseHeaders.get("expires")) {
    auto when = parseHttpDate(*expires, responseTime);
    if (!when) return {seconds(0), FreshnessSource::kExpires};  // §5.3: invalid = in the past
    return {std::min(nonNegative(*when - date), kMaxDeltaSeconds), FreshnessSource::kExpires};
  }
  bool heuristicAllowed = isHeuristicallyCacheableStatus(status) || cc.isPublic;
  if (heuristicAllowed && config.heuristicFraction > 0) {
    if (auto lm = responseHeaders.get("last-modified")) {
      auto modified = parseHttpDate(*lm, responseTime);
      if (modified && *modified < date) {
        double scaled = static_cast<double>((date - *modified).count()) * config.heuristicFraction;
        double cap = static_cast<double>(std::max(config.heuristicCap, seconds(0)).count());
        return {seconds(static_cast<seconds::rep>(std::min(scaled, cap))), FreshnessSource::kHeuristic};
      }
    }
  }
  return {seconds(0), FreshnessSource::kNone};
}

std::optional<seconds> parseAgeField(const HttpHeaders& headers) {
  auto line = headers.get("age");
  if (!line) return std::nullopt;
  auto members = splitList(*line);
  if (members.empty()) return std::nullopt;
  return parseDeltaSeconds(members.front());
}

std::string formatAge(seconds age) {
  return std::to_string(std::clamp(age, seconds(0), kMaxDeltaSeconds).count());
}

AgeCalculation calculateAge(const HttpHeaders& responseHeaders, HttpTime requestTime, HttpTime responseTime,
                            HttpTime now) {
  AgeCalculation a;
  auto ageValue = parseAgeField(responseHeaders).value_or(seconds(0));
  a.apparentAge = nonNegative(responseTime - dateValue(responseHeaders, responseTime));
  a.responseDelay = nonNegative(responseTime - requestTime);
  a.correctedAgeValue = ageValue + a.responseDelay;
  a.correctedInitialAge = std::max(a.apparentAge, a.correctedAgeValue);
  a.residentTime = nonNegative(now - responseTime);
  a.currentAge = a.correctedInitialAge + a.residentTime;
  return a;
}

std::string_view servingActionName(ServingAction action) noexcept {
  switch (action) {
    case ServingAction::kServeFresh: return "serve-fresh";
    case ServingAction::kServeStale: return "serve-stale";
    case ServingAction::kServeStaleWhileRevalidate: return "serve-stale-while-revalidate";
    case ServingAction::kRevalidate: return "revalidate";
    case ServingAction::kRevalidateOrServeStaleOnError: return "revalidate-or-stale-on-error";
    case ServingAction::kGatewayTimeout: return "gateway-timeout";
    case ServingAction::kMiss: return "miss";
  }
  return "unknown";
}

bool isOriginErrorStatus(int status) noexcept {
  return status == 500 || status == 502 || status == 503 || status == 504;
}

ServingDecision decideServing(std::string_view method, const HttpHeaders& requestHeaders,
                              const StoredResponse* stored, HttpTime now, const CachingRulesConfig& config) {
  ServingDecision d;
  if (method != "GET" && method != "HEAD") {
    d.action = ServingAction::kMiss;
    d.reason = "method not served from cache";
    return d;
  }
  auto req = parseRequestCacheControl(requestHeaders, config.honorRequestPragmaNoCache);
  // §5.2.1.7: with only-if-cached, anything that would contact the origin is a 504.
  auto finish = [&](ServingAction action, std::string_view reason) {
    bool needsOrigin = action == ServingAction::kMiss || action == ServingAction::kRevalidate ||
                       action == ServingAction::kRevalidateOrServeStaleOnError;
    if (req.onlyIfCached && needsOrigin) {
      d.action = ServingAction::kGatewayTimeout;
      d.reason = "only-if-cached and no usable stored response";
    } else {
      d.action = action;
      d.reason = reason;
    }
    return d;
  };
  if (stored == nullptr) return finish(ServingAction::kMiss, "nothing stored");
  if (!varyMatches(stored->headers, stored->varyKey, requestHeaders)) {
    return finish(ServingAction::kMiss, "Vary does not match");
  }

  auto cc = parseResponseCacheControl(stored->headers);
  d.freshness = freshnessLifetime(stored->status, stored->headers, stored->responseTime, config);
  d.currentAge = calculateAge(stored->headers, stored->requestTime, stored->responseTime, now).currentAge;
  d.staleness = nonNegative(d.currentAge - d.freshness.lifetime);
  bool fresh = d.freshness.lifetime > d.currentAge;  // §4.2: fresh iff lifetime > current_age

  if (req.noCache) return finish(ServingAction::kRevalidate, "request no-cache");
  // §5.2.2.4: qualified no-cache handled as unqualified (§5.2.3 notes this is common).
  if (cc.noCache) return finish(ServingAction::kRevalidate, "response no-cache");
  if (req.maxAge && d.currentAge > *req.maxAge) return finish(ServingAction::kRevalidate, "older than request max-age");
  if (req.minFresh && d.freshness.lifetime - d.currentAge < *req.minFresh) {
    return finish(ServingAction::kRevalidate, "fresh for less than request min-fresh");
  }
  if (fresh) return finish(ServingAction::kServeFresh, "fresh");

  // Stale from here on (§4.2.4).
  if (cc.mustRevalidate || cc.proxyRevalidate || cc.sMaxAge) {
    return finish(ServingAction::kRevalidate, "stale and must-revalidate/proxy-revalidate/s-maxage");
  }
  if (req.maxStale && (!req.maxStaleLimit || d.staleness <= *req.maxStaleLimit)) {
    return finish(ServingAction::kServeStale, "stale within request max-stale");
  }
  if (req.maxAge) {
    // §5.2.1.1: with max-age and no (satisfied) max-stale the client wants a fresh response.
    return finish(ServingAction::kRevalidate, "stale and request max-age");
  }
  if (cc.staleWhileRevalidate && d.staleness <= *cc.staleWhileRevalidate) {
    return finish(ServingAction::kServeStaleWhileRevalidate, "within stale-while-revalidate");
  }
  std::optional<seconds> staleIfError = cc.staleIfError;
  if (req.staleIfError) staleIfError = staleIfError ? std::min(*staleIfError, *req.staleIfError) : req.staleIfError;
  if (staleIfError && d.staleness <= *staleIfError) {
    return finish(ServingAction::kRevalidateOrServeStaleOnError, "stale; within stale-if-error");
  }
  return finish(ServingAction::kRevalidate, "stale");
}

}  // namespace edgecache::proxy
