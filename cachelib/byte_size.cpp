#include "cachelib/byte_size.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace edgecache::cachelib {
namespace {

struct Unit {
  std::string_view suffix;
  double factor;
};

constexpr std::array kUnits = {
    Unit{"", 1.0},          Unit{"b", 1.0},
    Unit{"k", 1024.0},      Unit{"kib", 1024.0},      Unit{"kb", 1e3},
    Unit{"m", 1048576.0},   Unit{"mib", 1048576.0},   Unit{"mb", 1e6},
    Unit{"g", 1073741824.0}, Unit{"gib", 1073741824.0}, Unit{"gb", 1e9},
    Unit{"t", 1099511627776.0}, Unit{"tib", 1099511627776.0}, Unit{"tb", 1e12},
};

}  // namespace

Result<std::uint64_t> parseByteSize(std::string_view text) {
  auto bad = [&](const char* why) {
    // The text may be a whole file's value or request body: quote its start only.
    return Result<std::uint64_t>::error("invalid byte size '" + printable(text, 60) + "': " + why +
                                        " (examples: 1048576, 512MiB, 1.5GiB, 10MB)");
  };
  std::string_view s = text;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.empty()) return bad("empty");
  std::size_t numEnd = 0;
  while (numEnd < s.size() && (std::isdigit(static_cast<unsigned char>(s[numEnd])) || s[numEnd] == '.')) ++numEnd;
  if (numEnd == 0) return bad("no number");
  const std::string_view number = s.substr(0, numEnd);
  std::string suffix;
  for (char c : s.substr(numEnd))
    if (!std::isspace(static_cast<unsigned char>(c))) suffix += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  double factor = -1;
  for (const Unit& u : kUnits)
    if (u.suffix == suffix) factor = u.factor;
  if (factor < 0) return bad("unknown unit");

  if (number.find('.') == std::string_view::npos) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
    if (ec != std::errc() || p != number.data() + number.size()) return bad("number out of range");
    const double total = static_cast<double>(v) * factor;
    if (total >= 1.8e19) return bad("too large");
    if (factor == 1.0) return v;
    return v * static_cast<std::uint64_t>(factor);
  }
  double v = 0;
  auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc() || p != number.data() + number.size()) return bad("malformed number");
  const double total = std::floor(v * factor);
  if (total >= 1.8e19) return bad("too large");
  return static_cast<std::uint64_t>(total);
}

std::string formatByteSize(std::uint64_t bytes) {
  static constexpr std::array<const char*, 4> kNames = {"TiB", "GiB", "MiB", "KiB"};
  static constexpr std::array<std::uint64_t, 4> kFactors = {1ull << 40, 1ull << 30, 1ull << 20, 1ull << 10};
  for (std::size_t i = 0; i < kNames.size(); ++i)
    if (bytes >= kFactors[i] && bytes % kFactors[i] == 0) return std::to_string(bytes / kFactors[i]) + kNames[i];
  return std::to_string(bytes) + "B";
}

std::string humanBytes(double bytes) {
  static constexpr std::array<const char*, 5> kNames = {"B", "KiB", "MiB", "GiB", "TiB"};
  std::size_t i = 0;
  while (i + 1 < kNames.size() && std::fabs(bytes) >= 1024.0) {
    bytes /= 1024.0;
    ++i;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, i == 0 ? "%.0f %s" : "%.3g %s", bytes, kNames[i]);
  return buf;
}

}  // namespace edgecache::cachelib
