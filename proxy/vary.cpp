#include "proxy/vary.h"

#include <algorithm>

namespace edgecache::proxy {

bool varyHasWildcard(const HttpHeaders& responseHeaders) {
  for (auto m : responseHeaders.listMembers("vary")) {
    if (m == "*") return true;
  }
  return false;
}

std::vector<std::string> varyFieldNames(const HttpHeaders& responseHeaders) {
  std::vector<std::string> names;
  for (auto m : responseHeaders.listMembers("vary")) {
    if (m == "*" || !isToken(m)) continue;  // garbage members select nothing
    names.push_back(toLowerAscii(m));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::string varyKey(const HttpHeaders& responseHeaders, const HttpHeaders& requestHeaders) {
  std::string key;
  for (const auto& name : varyFieldNames(responseHeaders)) {
    key.append(name);
    if (!requestHeaders.has(name)) {
      key.append("!\n");
      continue;
    }
    std::string value;
    bool first = true;
    for (auto member : requestHeaders.listMembers(name)) {
      if (!first) value.push_back(',');
      value.append(member);
      first = false;
    }
    key.push_back(':');
    key.append(std::to_string(value.size()));
    key.push_back(':');
    key.append(value);
    key.push_back('\n');
  }
  return key;
}

bool varyMatches(const HttpHeaders& storedResponseHeaders, const std::string& storedVaryKey,
                 const HttpHeaders& newRequestHeaders) {
  if (varyHasWildcard(storedResponseHeaders)) return false;
  return varyKey(storedResponseHeaders, newRequestHeaders) == storedVaryKey;
}

}  // namespace edgecache::proxy
