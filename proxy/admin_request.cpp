#include "proxy/admin_request.h"

#include <algorithm>
#include <cctype>

#include "cachelib/byte_size.h"
#include "proxy/cache_key.h"

namespace edgecache::proxy {

std::string_view trimAdminText(std::string_view s) noexcept {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

namespace {

// Compares in time independent of where the strings differ, so the token
// cannot be guessed byte by byte from response times.
bool constantTimeEquals(std::string_view a, std::string_view b) noexcept {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ (i < b.size() ? b[i] : 0));
  return diff == 0;
}

// Client text quoted in an error: its first 60 bytes (a body may hold 4 KiB,
// a query value more), control characters as '?'.
std::string excerpt(std::string_view text) { return cachelib::printable(text, 60); }

}  // namespace

cachelib::Result<std::uint64_t> parseCapacityBody(std::string_view body) {
  using R = cachelib::Result<std::uint64_t>;
  const auto text = trimAdminText(body);
  if (text.empty()) return R::error("capacity: empty body (expected bytes, e.g. 536870912 or 512MiB)");
  auto bytes = cachelib::parseByteSize(text);
  if (!bytes) return R::error("capacity: " + bytes.message());
  return bytes.value();
}

cachelib::Result<const cachelib::PolicyInfo*> parsePolicyBody(std::string_view body) {
  using R = cachelib::Result<const cachelib::PolicyInfo*>;
  std::string name(trimAdminText(body));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  if (name.empty()) return R::error("policy: empty body (expected one of: " + cachelib::policyNames(false) + ")");
  const auto* info = cachelib::findPolicy(name);
  if (!info) return R::error("policy: unknown policy '" + excerpt(name) + "' (known: " + cachelib::policyNames(false) + ")");
  if (info->offline) return R::error("policy: '" + excerpt(name) + "' is an offline bound, not a live policy");
  return info;
}

cachelib::Result<std::chrono::seconds> parseHoldParam(const std::optional<std::string_view>& hold) {
  using R = cachelib::Result<std::chrono::seconds>;
  if (!hold) return std::chrono::seconds{0};
  const std::string_view text = *hold;
  // Length and digits are checked before accumulating: eight digits cannot
  // overflow, a client's 20 could (undefined behaviour, not just a refusal).
  const bool ok = !text.empty() && text.size() <= 8 &&
                  std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  long long v = 0;
  if (ok)
    for (char c : text) v = v * 10 + (c - '0');
  if (!ok || v < 1 || v > kMaxAdminHoldSeconds)
    return R::error("hold: expected whole seconds in 1.." + std::to_string(kMaxAdminHoldSeconds) + ", got '" +
                    excerpt(text) + "'");
  return std::chrono::seconds{v};
}

cachelib::Result<std::string> parsePurgeUrl(const std::optional<std::string_view>& url) {
  if (!url || url->empty()) return cachelib::Result<std::string>::error("purge: missing query parameter url");
  return std::string(*url);
}

std::optional<std::string> purgeCacheKey(std::string_view url, std::string_view defaultAuthority) {
  if (!url.empty() && url.front() == '/') return cacheKey("http", defaultAuthority, url);
  return cacheKeyForUri(url);
}

bool bearerTokenMatches(std::string_view header, std::string_view token) noexcept {
  constexpr std::string_view kScheme = "Bearer ";
  return header.size() > kScheme.size() &&
         std::equal(kScheme.begin(), kScheme.end(), header.begin(),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
                    }) &&
         constantTimeEquals(trimAdminText(header.substr(kScheme.size())), token);
}

}  // namespace edgecache::proxy
