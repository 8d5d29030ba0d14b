#pragma once
// The admin API's request parsing as pure functions (no httplib, no sockets):
// request body / query value / Authorization field -> validated value or a
// one-line error. AdminServer (admin_server.h) wires them to HTTP; they are
// unit-tested and fuzzed (fuzz/fuzz_admin_request.cpp) on their own.
//
// Every error message starts with the field it is about ("capacity: ",
// "policy: ", "hold: ", "purge: ") and may quote the offending input; the
// server sends it inside a JSON string (jsonError), which escapes control
// characters, so the reply stays one line whatever the input held.
// All functions are thread safe (no shared state) and allocate only for
// their results.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cachelib/policy_registry.h"
#include "cachelib/status.h"

namespace edgecache::proxy {

// Largest accepted ?hold=, seconds (30 days).
inline constexpr long long kMaxAdminHoldSeconds = 30LL * 24 * 3600;

// PUT /capacity body: surrounding white space ignored, then bytes as
// cachelib::parseByteSize reads them ("536870912", "512MiB"). Zero passes
// here (the hook decides on minimums).
cachelib::Result<std::uint64_t> parseCapacityBody(std::string_view body);

// PUT /policy body: surrounding white space ignored, case-insensitive
// registry name of an online policy. Never returns null on success.
cachelib::Result<const cachelib::PolicyInfo*> parsePolicyBody(std::string_view body);

// ?hold=SECONDS: nullopt (parameter absent) -> 0 s (until released); else a
// whole number in [1, kMaxAdminHoldSeconds]. Errors start "hold: ".
cachelib::Result<std::chrono::seconds> parseHoldParam(const std::optional<std::string_view>& hold);

// POST /purge?url=U: the url parameter (already percent-decoded), which must
// be present and non-empty. Returns it unchanged.
cachelib::Result<std::string> parsePurgeUrl(const std::optional<std::string_view>& url);

// The cache key POST /purge removes: `url` as an absolute http(s) URI, or a
// path ("/...") resolved against `defaultAuthority` (the origin's) with
// scheme http. nullopt when it is neither.
std::optional<std::string> purgeCacheKey(std::string_view url, std::string_view defaultAuthority);

// The Authorization field value against the configured bearer token
// (non-empty): "Bearer <token>", scheme case-insensitive, white space around
// the token ignored. Compares in time independent of where the token
// differs.
bool bearerTokenMatches(std::string_view authorization, std::string_view token) noexcept;

// White space (isspace) trimmed from both ends.
std::string_view trimAdminText(std::string_view s) noexcept;

}  // namespace edgecache::proxy
