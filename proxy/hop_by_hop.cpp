#include "proxy/hop_by_hop.h"

#include <array>
#include <string>
#include <vector>

namespace edgecache::proxy {

bool isHopByHopField(std::string_view name) noexcept {
  static constexpr std::array<std::string_view, 9> kFields = {
      "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
      "proxy-authenticate", "proxy-authorization"};
  for (auto f : kFields) {
    if (equalsIgnoreCase(name, f)) return true;
  }
  return false;
}

HttpHeaders stripHopByHop(const HttpHeaders& headers) {
  auto options = headers.listMembers("connection");
  HttpHeaders out;
  for (const auto& f : headers) {
    if (isHopByHopField(f.name)) continue;
    bool named = false;
    for (auto o : options) {
      if (equalsIgnoreCase(o, f.name)) {
        named = true;
        break;
      }
    }
    if (!named) out.add(f.name, f.value);
  }
  return out;
}

}  // namespace edgecache::proxy
