#include "proxy/invalidation.h"

#include <algorithm>

#include "proxy/cache_key.h"

namespace edgecache::proxy {

bool isSafeMethod(std::string_view method) noexcept {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

std::vector<std::string> keysToInvalidate(std::string_view method, int status, std::string_view targetKey,
                                          const HttpHeaders& responseHeaders) {
  std::vector<std::string> keys;
  if (isSafeMethod(method) || status < 200 || status >= 400) return keys;
  keys.emplace_back(targetKey);
  auto targetOrigin = originOf(targetKey);
  for (std::string_view field : {"location", "content-location"}) {
    auto value = responseHeaders.get(field);
    if (!value || !targetOrigin) continue;
    auto key = resolveToCacheKey(targetKey, *value);
    if (!key || originOf(*key) != targetOrigin) continue;
    if (std::find(keys.begin(), keys.end(), *key) == keys.end()) keys.push_back(*key);
  }
  return keys;
}

}  // namespace edgecache::proxy
