// Fuzzes the admin API's request parsing (proxy/admin_request.h): the PUT
// /capacity and PUT /policy bodies, the ?hold= and ?url= query values, the
// purge cache key, and the bearer token check — everything AdminServer reads
// from a client before calling a hook (the httplib glue itself is not
// driven: it needs sockets).
//
// Input: byte 0 flags (0x01 hold present, 0x02 url present), then up to five
// NUL-separated fields: body, hold value, url value, Authorization value,
// configured token (an empty token is replaced by "t0ken").
//
// Checks besides the sanitizers: every error starts with its field name and
// stays one short line (at most 300 bytes: quoted client text is cut) once
// wrapped by jsonError (what the client receives); an
// accepted capacity survives formatByteSize; an accepted policy is an online
// registry entry whose name is the body lower-cased; an accepted hold is
// whole seconds in range (0 only when absent); a purge key is a fixed point
// of cacheKeyForUri; a token matches exactly when the field is "Bearer " +
// token up to white space and scheme case.
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cachelib/byte_size.h"
#include "cachelib/policy_registry.h"
#include "fuzz/fuzz_support.h"
#include "proxy/admin_request.h"
#include "proxy/admin_server.h"
#include "proxy/cache_key.h"

using namespace edgecache;

namespace {

void requireFieldError(const std::string& message, std::string_view field) {
  fuzz::require(message.rfind(std::string(field) + ": ", 0) == 0, "error does not start with its field", message);
  const std::string json = proxy::jsonError(message);
  for (unsigned char c : json) fuzz::require(c >= 0x20, "JSON error body is not one line", json);
  fuzz::require(json.size() <= 300, "JSON error body is too long", json.substr(0, 200));
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t flags = data[0];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::vector<std::string_view> f;
  while (f.size() < 4) {
    const auto nul = rest.find('\0');
    if (nul == std::string_view::npos) break;
    f.push_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  f.push_back(rest);
  f.resize(5);
  const std::string_view body = f[0], holdText = f[1], urlText = f[2], auth = f[3];
  const std::string_view token = f[4].empty() ? std::string_view("t0ken") : f[4];

  if (auto bytes = proxy::parseCapacityBody(body)) {
    auto back = cachelib::parseByteSize(cachelib::formatByteSize(bytes.value()));
    fuzz::require(back && back.value() == bytes.value(), "capacity does not survive formatByteSize");
  } else {
    requireFieldError(bytes.message(), "capacity");
  }

  if (auto policy = proxy::parsePolicyBody(body)) {
    const auto* info = policy.value();
    fuzz::require(info != nullptr && !info->offline, "accepted policy is null or offline");
    fuzz::require(cachelib::findPolicy(info->id) == info, "accepted policy is not the registry's entry");
    fuzz::require(std::string(info->name) == lower(proxy::trimAdminText(body)), "policy name differs from body");
  } else {
    requireFieldError(policy.message(), "policy");
  }

  const std::optional<std::string_view> hold = (flags & 0x01) ? std::optional(holdText) : std::nullopt;
  if (auto h = proxy::parseHoldParam(hold)) {
    const auto s = h.value().count();
    fuzz::require(hold ? (s >= 1 && s <= proxy::kMaxAdminHoldSeconds) : s == 0, "hold out of range");
    if (hold) fuzz::require(std::to_string(s) == std::string(*hold) || (*hold)[0] == '0', "hold is not its digits");
  } else {
    requireFieldError(h.message(), "hold");
  }

  const std::optional<std::string_view> url = (flags & 0x02) ? std::optional(urlText) : std::nullopt;
  if (auto u = proxy::parsePurgeUrl(url)) {
    fuzz::require(url && u.value() == *url && !u.value().empty(), "purge url changed");
    if (auto key = proxy::purgeCacheKey(u.value(), "origin.example:8080")) {
      auto again = proxy::cacheKeyForUri(*key);
      fuzz::require(again && *again == *key, "purge key is not a fixed point of cacheKeyForUri", *key);
    }
  } else {
    requireFieldError(u.message(), "purge");
  }

  const bool matches = proxy::bearerTokenMatches(auth, token);
  const bool expected = auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer " &&
                        proxy::trimAdminText(auth.substr(7)) == token;
  fuzz::require(matches == expected, "bearer token check disagrees with its contract");
  if (proxy::trimAdminText(token) == token) {
    fuzz::require(proxy::bearerTokenMatches("Bearer " + std::string(token), token), "the right token is refused");
  }
  return 0;
}
