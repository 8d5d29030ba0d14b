#pragma once
// HTTP time values: HTTP-date (RFC 9110 §5.6.7) and delta-seconds
// (RFC 9111 §1.2.2).
//
// Units used throughout proxy/: an absolute time is HttpTime, i.e.
// std::chrono::sys_seconds (system_clock at one-second resolution, the
// resolution of HTTP-date); a duration is std::chrono::seconds. The proxy
// obtains "now" as std::chrono::floor<std::chrono::seconds>(system_clock::now())
// and passes it in: no function here reads a clock.
//
// All functions are pure, thread safe and never throw (beyond bad_alloc when
// formatting). Malformed input yields std::nullopt; callers apply the RFC's
// meaning of "invalid" (e.g. an invalid Expires means "already expired").

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace edgecache::proxy {

using HttpTime = std::chrono::sys_seconds;

// RFC 9111 §1.2.2: a delta-seconds too large to represent is taken as 2^31.
inline constexpr std::chrono::seconds kMaxDeltaSeconds{2147483648LL};

// Parses an HTTP-date in any of the three forms a recipient must accept:
//   IMF-fixdate  "Sun, 06 Nov 1994 08:49:37 GMT"
//   rfc850-date  "Sunday, 06-Nov-94 08:49:37 GMT"   (obsolete)
//   asctime      "Sun Nov  6 08:49:37 1994"          (obsolete)
// Names are matched case-insensitively and surrounding OWS is ignored; the
// day name is checked to be a day name but not against the date. `now` is
// used only for the two-digit year of rfc850-date: a year that would be more
// than 50 years in the future is taken as the most recent past year with the
// same last two digits (RFC 9110 §5.6.7). Returns nullopt for anything else
// (including "0", "-1", impossible dates such as 31 Feb, hour 24).
std::optional<HttpTime> parseHttpDate(std::string_view text, HttpTime now);

// Formats as IMF-fixdate, the only form a sender may generate.
std::string formatHttpDate(HttpTime time);

// Parses delta-seconds (1*DIGIT, RFC 9111 §1.2.2); values above kMaxDeltaSeconds
// saturate to it. Returns nullopt for empty, signed or non-digit input.
std::optional<std::chrono::seconds> parseDeltaSeconds(std::string_view text) noexcept;

}  // namespace edgecache::proxy
