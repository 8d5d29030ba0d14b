#include "proxy/range.h"

#include <limits>
#include <optional>

#include "proxy/conditional.h"

namespace edgecache::proxy {

namespace {

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

// 1*DIGIT, saturating; nullopt when empty or not all digits.
std::optional<std::uint64_t> position(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    v = (v > (kMaxU64 - digit) / 10) ? kMaxU64 : v * 10 + digit;
  }
  return v;
}

RangeDecision full(std::uint64_t length) {
  RangeDecision d;
  d.contentLengthBytes = length;
  return d;
}

RangeDecision unsatisfiable(std::uint64_t length) {
  RangeDecision d;
  d.outcome = RangeOutcome::kUnsatisfiable;
  d.status = 416;
  d.contentRange = "bytes */" + std::to_string(length);
  return d;
}

RangeDecision partial(std::uint64_t first, std::uint64_t last, std::uint64_t length) {
  RangeDecision d;
  d.outcome = RangeOutcome::kPartial;
  d.status = 206;
  d.firstByte = first;
  d.lastByte = last;
  d.contentLengthBytes = last - first + 1;
  d.contentRange = "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" + std::to_string(length);
  return d;
}

}  // namespace

RangeDecision parseByteRange(std::string_view rangeValue, std::uint64_t fullLengthBytes) {
  auto value = trimOws(rangeValue);
  auto eq = value.find('=');
  if (eq == std::string_view::npos || !equalsIgnoreCase(trimOws(value.substr(0, eq)), "bytes")) {
    return full(fullLengthBytes);
  }
  auto specs = splitList(value.substr(eq + 1));
  if (specs.size() != 1) return full(fullLengthBytes);  // none, or multiple ranges: ignore
  auto spec = specs.front();
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return full(fullLengthBytes);
  auto firstText = spec.substr(0, dash);
  auto lastText = spec.substr(dash + 1);
  if (firstText.empty()) {  // suffix-range "-n"
    auto suffix = position(lastText);
    if (!suffix) return full(fullLengthBytes);
    if (*suffix == 0 || fullLengthBytes == 0) return unsatisfiable(fullLengthBytes);
    std::uint64_t n = std::min(*suffix, fullLengthBytes);
    return partial(fullLengthBytes - n, fullLengthBytes - 1, fullLengthBytes);
  }
  auto first = position(firstText);
  if (!first) return full(fullLengthBytes);
  std::uint64_t last = kMaxU64;
  if (!lastText.empty()) {
    auto parsedLast = position(lastText);
    if (!parsedLast || *parsedLast < *first) return full(fullLengthBytes);  // invalid range-spec
    last = *parsedLast;
  }
  if (*first >= fullLengthBytes) return unsatisfiable(fullLengthBytes);
  return partial(*first, std::min(last, fullLengthBytes - 1), fullLengthBytes);
}

bool ifRangeMatches(std::string_view ifRangeValue, const HttpHeaders& storedHeaders, HttpTime now) {
  auto value = trimOws(ifRangeValue);
  if (!value.empty() && (value.front() == '"' || value.substr(0, 2) == "W/")) {
    auto tag = parseEntityTag(value);
    auto storedText = storedHeaders.get("etag");
    if (!tag || !storedText) return false;
    auto stored = parseEntityTag(trimOws(*storedText));
    return stored && strongMatch(*tag, *stored);
  }
  auto date = parseHttpDate(value, now);
  auto lmText = storedHeaders.get("last-modified");
  auto dateText = storedHeaders.get("date");
  if (!date || !lmText || !dateText) return false;
  auto lm = parseHttpDate(*lmText, now);
  auto storedDate = parseHttpDate(*dateText, now);
  if (!lm || !storedDate) return false;
  bool strong = *storedDate - *lm >= std::chrono::seconds(1);
  return strong && *lm == *date;
}

RangeDecision evaluateRange(std::string_view method, const HttpHeaders& requestHeaders,
                            const HttpHeaders& storedHeaders, std::uint64_t fullLengthBytes, HttpTime now) {
  if (method != "GET") return full(fullLengthBytes);
  auto lines = requestHeaders.getAll("range");
  if (lines.size() != 1) return full(fullLengthBytes);
  if (auto ifRange = requestHeaders.get("if-range")) {
    if (!ifRangeMatches(*ifRange, storedHeaders, now)) return full(fullLengthBytes);
  }
  return parseByteRange(lines.front(), fullLengthBytes);
}

}  // namespace edgecache::proxy
