#include "proxy/max_forwards.h"

#include <cstdint>
#include <string>

namespace edgecache::proxy {

MaxForwardsAction applyMaxForwards(std::string_view method, HttpHeaders& requestHeaders) {
  if (method != "TRACE" && method != "OPTIONS") return MaxForwardsAction::kForward;
  const auto values = requestHeaders.getAll("max-forwards");
  if (values.size() != 1) return MaxForwardsAction::kForward;
  const std::string_view value = trimOws(values.front());
  if (value.empty()) return MaxForwardsAction::kForward;
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return MaxForwardsAction::kForward;
    // Saturate: the decremented value only has to be no larger than the
    // received one minus one, and we support no maximum of our own.
    const auto digit = static_cast<std::uint64_t>(c - '0');
    n = n > (UINT64_MAX - digit) / 10 ? UINT64_MAX : n * 10 + digit;
  }
  if (n == 0) return MaxForwardsAction::kAnswerHere;
  requestHeaders.set("Max-Forwards", std::to_string(n - 1));
  return MaxForwardsAction::kDecremented;
}

std::string traceReflection(std::string_view method, std::string_view target, unsigned version,
                            const HttpHeaders& requestHeaders) {
  std::string out;
  out.append(method).append(" ").append(target).append(version >= 11 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n");
  for (const auto& f : requestHeaders) {
    // §9.3.8: a final recipient leaves out fields likely to hold sensitive
    // data (a reflected cookie is how cross-site tracing steals it).
    if (equalsIgnoreCase(f.name, "authorization") || equalsIgnoreCase(f.name, "proxy-authorization") ||
        equalsIgnoreCase(f.name, "cookie")) {
      continue;
    }
    out.append(f.name).append(": ").append(f.value).append("\r\n");
  }
  out.append("\r\n");
  return out;
}

}  // namespace edgecache::proxy
