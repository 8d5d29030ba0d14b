#pragma once
// Internal to traces/: turning text fields into numbers and keys, and the
// one-line error messages that name path, line and field. No allocation on the
// success path; std::from_chars only (locale-independent, no exceptions).

#include <cstdint>
#include <string>
#include <string_view>

#include "cachelib/status.h"

namespace edgecache::traces {

enum class ParseOutcome { kOk, kInvalid, kOutOfRange };

// Decimal digits only (no sign, no spaces), must fit in uint64.
ParseOutcome parseUnsigned(std::string_view text, std::uint64_t& value) noexcept;
// A finite, non-negative decimal number of seconds ("12", "12.5", "1e3").
ParseOutcome parseSeconds(std::string_view text, double& value) noexcept;

// Object key of an id field: its value when it is a decimal integer that fits
// uint64, otherwise XXH3_64bits of its bytes. (So "007" and "7" are one key.)
std::uint64_t keyOf(std::string_view text) noexcept;
std::uint64_t hashKey(std::string_view text) noexcept;

// Spaces and tabs at both ends removed.
std::string_view trimBlanks(std::string_view text) noexcept;

// `text` made safe for a one-line message: control bytes as '?', long tokens cut.
std::string printable(std::string_view text);

// "PATH:LINE: field 'NAME': WHAT, got 'TOKEN'".
cachelib::Status fieldError(const std::string& path, std::uint64_t line, std::string_view field,
                            std::string_view what, std::string_view token);
// The standard message for a failed number parse.
cachelib::Status numberError(const std::string& path, std::uint64_t line, std::string_view field,
                             ParseOutcome outcome, std::string_view token, std::string_view expected);
// "PATH:LINE: MESSAGE".
cachelib::Status lineError(const std::string& path, std::uint64_t line, std::string_view message);

}  // namespace edgecache::traces
