#include "traces/field_parser.h"

#include <charconv>
#include <cmath>

#include <xxhash.h>

namespace edgecache::traces {
namespace {

constexpr std::size_t kMaxTokenInMessage = 48;

}  // namespace

ParseOutcome parseUnsigned(std::string_view text, std::uint64_t& value) noexcept {
  // from_chars alone would accept a prefix ("12abc" -> 12); demand the whole field.
  if (text.empty()) return ParseOutcome::kInvalid;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    // Out of range only counts when the rest is digits too; "99999999999999999999x" is invalid.
    for (const char* p = ptr; p != end; ++p) {
      if (*p < '0' || *p > '9') return ParseOutcome::kInvalid;
    }
    return ParseOutcome::kOutOfRange;
  }
  if (ec != std::errc() || ptr != end) return ParseOutcome::kInvalid;
  return ParseOutcome::kOk;
}

ParseOutcome parseSeconds(std::string_view text, double& value) noexcept {
  if (text.empty() || text.front() == '-') return ParseOutcome::kInvalid;
  // Most traces carry whole seconds: the integer parser is several times
  // faster than the floating-point one, and exact below 2^53.
  if (std::uint64_t whole = 0; parseUnsigned(text, whole) == ParseOutcome::kOk && whole < (std::uint64_t{1} << 53)) {
    value = static_cast<double>(whole);
    return ParseOutcome::kOk;
  }
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value, std::chars_format::general);
  if (ec == std::errc::result_out_of_range) return ParseOutcome::kOutOfRange;
  if (ec != std::errc() || ptr != end) return ParseOutcome::kInvalid;
  if (!std::isfinite(value)) return ParseOutcome::kInvalid;  // "inf", "nan"
  return ParseOutcome::kOk;
}

std::uint64_t hashKey(std::string_view text) noexcept { return XXH3_64bits(text.data(), text.size()); }

std::uint64_t keyOf(std::string_view text) noexcept {
  std::uint64_t value = 0;
  return parseUnsigned(text, value) == ParseOutcome::kOk ? value : hashKey(text);
}

std::string_view trimBlanks(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::string printable(std::string_view text) { return cachelib::printable(text, kMaxTokenInMessage); }

cachelib::Status fieldError(const std::string& path, std::uint64_t line, std::string_view field,
                            std::string_view what, std::string_view token) {
  std::string message = path + ":" + std::to_string(line) + ": field '" + std::string(field) + "': ";
  message += what;
  message += ", got '" + printable(token) + "'";
  return cachelib::Status::error(std::move(message));
}

cachelib::Status numberError(const std::string& path, std::uint64_t line, std::string_view field,
                             ParseOutcome outcome, std::string_view token, std::string_view expected) {
  if (outcome == ParseOutcome::kOutOfRange) {
    return fieldError(path, line, field, std::string(expected) + " in range", token);
  }
  return fieldError(path, line, field, expected, token);
}

cachelib::Status lineError(const std::string& path, std::uint64_t line, std::string_view message) {
  return cachelib::Status::error(path + ":" + std::to_string(line) + ": " + std::string(message));
}

}  // namespace edgecache::traces
