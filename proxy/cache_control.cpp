#include "proxy/cache_control.h"

#include "proxy/http_date.h"

namespace edgecache::proxy {

namespace {

using std::chrono::seconds;

const CacheDirective* find(const std::vector<CacheDirective>& ds, std::string_view name) {
  for (const auto& d : ds) {
    if (d.name == name) return &d;  // first occurrence wins (§4.2.1)
  }
  return nullptr;
}

bool present(const std::vector<CacheDirective>& ds, std::string_view name) { return find(ds, name) != nullptr; }

// Argument as delta-seconds; nullopt when absent or invalid.
std::optional<seconds> delta(const CacheDirective* d) {
  if (d == nullptr || !d->value) return std::nullopt;
  return parseDeltaSeconds(trimOws(*d->value));
}

// max-age style: present-but-invalid reads as 0 (stale / force validation).
std::optional<seconds> deltaOrZero(const CacheDirective* d) {
  if (d == nullptr) return std::nullopt;
  auto v = delta(d);
  return v ? v : std::optional<seconds>(seconds(0));
}

// Union of the field-name lists of every occurrence of a qualified directive.
void collectFields(const std::vector<CacheDirective>& ds, std::string_view name, std::vector<std::string>& out) {
  for (const auto& d : ds) {
    if (d.name != name || !d.value) continue;
    for (auto f : splitList(*d.value)) out.push_back(toLowerAscii(f));
  }
}

}  // namespace

std::vector<CacheDirective> parseCacheDirectives(const HttpHeaders& headers) {
  std::vector<CacheDirective> out;
  for (auto member : headers.listMembers("cache-control")) {
    auto eq = member.find('=');
    auto name = trimOws(member.substr(0, eq));
    if (!isToken(name)) continue;
    CacheDirective d{toLowerAscii(name), std::nullopt};
    if (eq != std::string_view::npos) {
      auto raw = trimOws(member.substr(eq + 1));
      d.value = unquote(raw);
    }
    out.push_back(std::move(d));
  }
  return out;
}

ResponseCacheControl parseResponseCacheControl(const HttpHeaders& responseHeaders) {
  auto ds = parseCacheDirectives(responseHeaders);
  ResponseCacheControl cc;
  cc.maxAge = deltaOrZero(find(ds, "max-age"));
  cc.sMaxAge = deltaOrZero(find(ds, "s-maxage"));
  cc.staleWhileRevalidate = delta(find(ds, "stale-while-revalidate"));
  cc.staleIfError = delta(find(ds, "stale-if-error"));
  cc.noStore = present(ds, "no-store");
  cc.noCache = present(ds, "no-cache");
  collectFields(ds, "no-cache", cc.noCacheFields);
  cc.isPrivate = present(ds, "private");
  collectFields(ds, "private", cc.privateFields);
  cc.isPublic = present(ds, "public");
  cc.mustRevalidate = present(ds, "must-revalidate");
  cc.proxyRevalidate = present(ds, "proxy-revalidate");
  cc.mustUnderstand = present(ds, "must-understand");
  cc.noTransform = present(ds, "no-transform");
  cc.immutable = present(ds, "immutable");
  return cc;
}

RequestCacheControl parseRequestCacheControl(const HttpHeaders& requestHeaders, bool honorPragmaNoCache) {
  auto ds = parseCacheDirectives(requestHeaders);
  RequestCacheControl cc;
  cc.maxAge = deltaOrZero(find(ds, "max-age"));
  if (const auto* ms = find(ds, "max-stale")) {
    if (!ms->value) {
      cc.maxStale = true;  // any staleness (§5.2.1.2)
    } else if (auto v = delta(ms)) {
      cc.maxStale = true;
      cc.maxStaleLimit = v;
    }
  }
  cc.minFresh = delta(find(ds, "min-fresh"));
  cc.staleIfError = delta(find(ds, "stale-if-error"));
  cc.noCache = present(ds, "no-cache");
  cc.noStore = present(ds, "no-store");
  cc.onlyIfCached = present(ds, "only-if-cached");
  cc.noTransform = present(ds, "no-transform");
  if (honorPragmaNoCache && !requestHeaders.has("cache-control") && requestHeaders.hasToken("pragma", "no-cache")) {
    cc.noCache = true;
  }
  return cc;
}

}  // namespace edgecache::proxy
