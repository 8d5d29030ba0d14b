#include "proxy/storability.h"

#include "proxy/cache_control.h"
#include "proxy/vary.h"

namespace edgecache::proxy {

bool isHeuristicallyCacheableStatus(int status) noexcept {
  switch (status) {
    case 200: case 203: case 204: case 206: case 300: case 301: case 308:
    case 404: case 405: case 410: case 414: case 501:
      return true;
    default:
      return false;
  }
}

bool isUnderstoodStatus(int status) noexcept {
  return isHeuristicallyCacheableStatus(status) || status == 302 || status == 303 || status == 307;
}

Storability evaluateStorability(std::string_view method, const HttpHeaders& requestHeaders, int status,
                                const HttpHeaders& responseHeaders, std::optional<std::uint64_t> contentLengthBytes,
                                const CachingRulesConfig& config) {
  // Methods are case-sensitive (RFC 9110 §9.1).
  if (method == "HEAD") return {false, "HEAD responses are not stored (HEAD is served from a stored GET)"};
  if (method != "GET") return {false, "method is not GET"};
  if (status < 200 || status > 999) return {false, "status is not final"};
  if (status == 304) return {false, "304 is not a complete response"};
  if (status == 206 && !config.storePartialContent) return {false, "partial content is not stored"};

  auto req = parseRequestCacheControl(requestHeaders, false);
  if (req.noStore) return {false, "request no-store"};
  auto cc = parseResponseCacheControl(responseHeaders);
  if (cc.mustUnderstand && !isUnderstoodStatus(status)) return {false, "must-understand with a status not understood"};
  if (cc.noStore && !(cc.mustUnderstand && isUnderstoodStatus(status))) return {false, "response no-store"};
  if (cc.isPrivate) return {false, "response private"};
  if (requestHeaders.has("authorization") && !cc.isPublic && !cc.sMaxAge && !cc.mustRevalidate) {
    return {false, "Authorization without public, s-maxage or must-revalidate"};
  }
  if (varyHasWildcard(responseHeaders)) return {false, "Vary: *"};
  if (config.maxObjectBytes != 0 && contentLengthBytes && *contentLengthBytes > config.maxObjectBytes) {
    return {false, "larger than maxObjectBytes"};
  }
  bool explicitFreshness = cc.maxAge || cc.sMaxAge || responseHeaders.has("expires");
  if (!explicitFreshness && !cc.isPublic && !isHeuristicallyCacheableStatus(status)) {
    return {false, "no explicit freshness and status not heuristically cacheable"};
  }
  if (!explicitFreshness && !responseHeaders.has("etag") && !responseHeaders.has("last-modified")) {
    return {false, "neither explicit freshness nor a validator"};
  }
  return {true, "storable"};
}

}  // namespace edgecache::proxy
