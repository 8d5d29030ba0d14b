#include "proxy/conditional.h"

#include <algorithm>
#include <array>

#include "proxy/hop_by_hop.h"

namespace edgecache::proxy {

namespace {

bool isEtagChar(char c) noexcept {
  auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x7e) || u >= 0x80;  // etagc, obs-text included
}

std::optional<EntityTag> storedEtag(const HttpHeaders& headers) {
  auto v = headers.get("etag");
  if (!v) return std::nullopt;
  return parseEntityTag(trimOws(*v));
}

std::optional<HttpTime> singleDate(const HttpHeaders& headers, std::string_view name, HttpTime now) {
  auto lines = headers.getAll(name);
  if (lines.size() != 1) return std::nullopt;
  return parseHttpDate(lines.front(), now);
}

}  // namespace

std::optional<EntityTag> parseEntityTag(std::string_view text) noexcept {
  EntityTag tag;
  if (text.size() >= 2 && text[0] == 'W' && text[1] == '/') {
    tag.weak = true;
    text.remove_prefix(2);
  }
  if (text.size() < 2 || text.front() != '"' || text.back() != '"') return std::nullopt;
  for (std::size_t i = 1; i + 1 < text.size(); ++i) {
    if (!isEtagChar(text[i])) return std::nullopt;
  }
  tag.opaque = text;
  return tag;
}

bool strongMatch(const EntityTag& a, const EntityTag& b) noexcept {
  return !a.weak && !b.weak && a.opaque == b.opaque;
}

bool weakMatch(const EntityTag& a, const EntityTag& b) noexcept { return a.opaque == b.opaque; }

ConditionalResult evaluateConditional(std::string_view method, const HttpHeaders& requestHeaders, int storedStatus,
                                      const HttpHeaders& storedHeaders, HttpTime now) {
  if ((method != "GET" && method != "HEAD") || storedStatus != 200) return ConditionalResult::kFullResponse;
  if (requestHeaders.has("if-none-match")) {
    auto etag = storedEtag(storedHeaders);
    for (auto member : requestHeaders.listMembers("if-none-match")) {
      if (member == "*") return ConditionalResult::kNotModified;
      auto tag = parseEntityTag(member);
      if (tag && etag && weakMatch(*tag, *etag)) return ConditionalResult::kNotModified;
    }
    return ConditionalResult::kFullResponse;  // §13.2.2: If-Modified-Since is not consulted
  }
  if (auto since = singleDate(requestHeaders, "if-modified-since", now)) {
    std::optional<HttpTime> modified;
    if (auto lm = storedHeaders.get("last-modified")) {
      modified = parseHttpDate(*lm, now);
    } else if (auto date = storedHeaders.get("date")) {
      modified = parseHttpDate(*date, now);
    }
    if (modified && *modified <= *since) return ConditionalResult::kNotModified;
  }
  return ConditionalResult::kFullResponse;
}

bool hasOriginOnlyPreconditions(const HttpHeaders& requestHeaders) {
  return requestHeaders.has("if-match") || requestHeaders.has("if-unmodified-since");
}

HttpHeaders notModifiedHeaders(const HttpHeaders& storedHeaders, std::optional<std::chrono::seconds> currentAge) {
  bool hasEtag = storedHeaders.has("etag");
  HttpHeaders out;
  for (const auto& f : storedHeaders) {
    bool keep = equalsIgnoreCase(f.name, "cache-control") || equalsIgnoreCase(f.name, "content-location") ||
                equalsIgnoreCase(f.name, "date") || equalsIgnoreCase(f.name, "etag") ||
                equalsIgnoreCase(f.name, "expires") || equalsIgnoreCase(f.name, "vary") ||
                (!hasEtag && equalsIgnoreCase(f.name, "last-modified"));
    if (keep) out.add(f.name, f.value);
  }
  if (currentAge) {
    out.set("Age", std::to_string(std::clamp(*currentAge, std::chrono::seconds(0), kMaxDeltaSeconds).count()));
  }
  return out;
}

HttpHeaders buildRevalidationRequest(const HttpHeaders& clientRequestHeaders, const HttpHeaders& storedHeaders) {
  HttpHeaders out = clientRequestHeaders;
  out.remove("if-none-match");
  out.remove("if-modified-since");
  out.remove("if-range");
  out.remove("range");
  if (auto etag = storedHeaders.get("etag"); etag && parseEntityTag(trimOws(*etag))) {
    out.add("If-None-Match", trimOws(*etag));
  }
  if (auto lm = storedHeaders.get("last-modified")) out.add("If-Modified-Since", trimOws(*lm));
  return out;
}

bool notModifiedMatchesStored(const HttpHeaders& storedHeaders, const HttpHeaders& notModifiedHeaders, HttpTime now) {
  if (notModifiedHeaders.has("etag")) {
    auto fresh = storedEtag(notModifiedHeaders);
    auto old = storedEtag(storedHeaders);
    if (!fresh || !old) return false;
    return fresh->weak ? weakMatch(*fresh, *old) : strongMatch(*fresh, *old);
  }
  if (auto lm = notModifiedHeaders.get("last-modified")) {
    auto fresh = parseHttpDate(*lm, now);
    auto oldText = storedHeaders.get("last-modified");
    if (!fresh || !oldText) return false;
    auto old = parseHttpDate(*oldText, now);
    return old && *old == *fresh;
  }
  return true;
}

HttpHeaders mergeNotModified(const HttpHeaders& storedHeaders, const HttpHeaders& notModifiedHeaders,
                             HttpTime receivedTime) {
  static constexpr std::array<std::string_view, 5> kNotUpdated = {"content-length", "content-encoding",
                                                                  "content-range", "transfer-encoding", "vary"};
  HttpHeaders update = stripHopByHop(notModifiedHeaders);
  for (auto name : kNotUpdated) update.remove(name);

  HttpHeaders out;
  auto inUpdate = [&](std::string_view name) { return update.has(name) || equalsIgnoreCase(name, "age"); };
  std::vector<std::string> emitted;  // lower-cased names already replaced
  for (const auto& f : storedHeaders) {
    if (!inUpdate(f.name)) {
      out.add(f.name, f.value);
      continue;
    }
    auto lower = toLowerAscii(f.name);
    if (std::find(emitted.begin(), emitted.end(), lower) != emitted.end()) continue;
    emitted.push_back(lower);
    // Replacement lines go where the first stored line of that name was.
    for (const auto& u : update) {
      if (equalsIgnoreCase(u.name, f.name)) out.add(u.name, u.value);
    }
  }
  for (const auto& u : update) {
    if (std::find(emitted.begin(), emitted.end(), toLowerAscii(u.name)) == emitted.end() && !storedHeaders.has(u.name)) {
      out.add(u.name, u.value);
    }
  }
  if (!notModifiedHeaders.has("date")) out.set("Date", formatHttpDate(receivedTime));
  return out;
}

}  // namespace edgecache::proxy
