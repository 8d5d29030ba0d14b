#include "proxy/cache_key.h"

#include <vector>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

namespace {

struct UriParts {
  std::string scheme;     // lower-cased
  std::string authority;  // as given
  std::string path;       // may be empty
  std::optional<std::string> query;  // without '?'
};

bool validScheme(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' || c == '-' ||
              c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string_view stripFragment(std::string_view s) {
  auto hash = s.find('#');
  return hash == std::string_view::npos ? s : s.substr(0, hash);
}

// Splits "path?query" into its parts.
void splitPathQuery(std::string_view pq, UriParts& out) {
  auto q = pq.find('?');
  if (q == std::string_view::npos) {
    out.path = std::string(pq);
  } else {
    out.path = std::string(pq.substr(0, q));
    out.query = std::string(pq.substr(q + 1));
  }
}

std::optional<UriParts> parseAbsolute(std::string_view uri) {
  uri = stripFragment(trimOws(uri));
  auto colon = uri.find(':');
  if (colon == std::string_view::npos || !validScheme(uri.substr(0, colon))) return std::nullopt;
  UriParts p;
  p.scheme = toLowerAscii(uri.substr(0, colon));
  auto rest = uri.substr(colon + 1);
  if (rest.substr(0, 2) != "//") return std::nullopt;
  rest.remove_prefix(2);
  auto end = rest.find_first_of("/?");
  p.authority = std::string(rest.substr(0, end));
  splitPathQuery(end == std::string_view::npos ? std::string_view() : rest.substr(end), p);
  return p;
}

// host [":" port] of an authority, the host of an IP-literal with its
// brackets; nullopt when the split itself is malformed (an unclosed '[',
// bytes after ']' other than ":port", a ':' or bracket inside a reg-name or
// IPv4 host: RFC 3986 §3.2.2, IPv6 needs brackets, else "a:b:80" would read
// as host "a:b"). Shared by the cache key and the Host check so that both
// split an authority the same way.
struct AuthorityParts {
  std::string_view host;
  std::string_view port;  // empty when absent
};
std::optional<AuthorityParts> splitAuthority(std::string_view authority) noexcept {
  AuthorityParts out{authority, {}};
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = authority.substr(0, close + 1);
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      out.port = after.substr(1);
    }
    return out;
  }
  if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  }
  if (out.host.find_first_of(":[]") != std::string_view::npos) return std::nullopt;
  return out;
}

// Normalises host[:port] for `scheme`; nullopt when malformed.
std::optional<std::string> normaliseAuthority(std::string_view scheme, std::string_view authority) {
  if (authority.find('@') != std::string_view::npos) return std::nullopt;  // no userinfo in keys
  const auto parts = splitAuthority(authority);
  if (!parts) return std::nullopt;
  const std::string_view host = parts->host, port = parts->port;
  if (host.empty()) return std::nullopt;
  for (char c : host) {
    if (c <= ' ' || c == 0x7f || c == '/' || c == '?' || c == '#' || c == '\\') return std::nullopt;
  }
  if (port.size() > 5) return std::nullopt;
  unsigned portNumber = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return std::nullopt;
    portNumber = portNumber * 10 + static_cast<unsigned>(c - '0');
  }
  if (portNumber > 65535) return std::nullopt;
  std::string out = toLowerAscii(host);
  bool defaultPort = port.empty() || (scheme == "http" && portNumber == 80) || (scheme == "https" && portNumber == 443);
  if (!defaultPort) {
    out.push_back(':');
    out.append(std::to_string(portNumber));
  }
  return out;
}

bool pathIsClean(std::string_view pq) {
  for (char c : pq) {
    if (c <= ' ' || c == 0x7f) return false;  // CTLs and spaces never belong in a request-target
  }
  return true;
}

std::optional<std::string> build(const UriParts& p) {
  if (p.scheme != "http" && p.scheme != "https") return std::nullopt;
  auto authority = normaliseAuthority(p.scheme, p.authority);
  if (!authority) return std::nullopt;
  std::string pq = p.path.empty() ? "/" : p.path;
  if (pq.front() != '/') return std::nullopt;
  if (p.query) {
    pq.push_back('?');
    pq.append(*p.query);
  }
  if (!pathIsClean(pq)) return std::nullopt;
  return p.scheme + "://" + *authority + pq;
}

// RFC 3986 §5.2.4.
std::string removeDotSegments(std::string_view input) {
  std::vector<std::string_view> segments;
  bool absolute = !input.empty() && input.front() == '/';
  if (absolute) input.remove_prefix(1);
  bool trailingSlash = false;
  while (true) {
    auto slash = input.find('/');
    auto seg = input.substr(0, slash);
    bool last = slash == std::string_view::npos;
    if (seg == ".") {
      trailingSlash = last;
    } else if (seg == "..") {
      if (!segments.empty()) segments.pop_back();
      trailingSlash = last;
    } else {
      segments.push_back(seg);
      trailingSlash = false;
    }
    if (last) break;
    input.remove_prefix(slash + 1);
  }
  std::string out = absolute ? "/" : "";
  for (std::size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (trailingSlash && (out.empty() || out.back() != '/')) out.push_back('/');
  return out;
}

}  // namespace

std::optional<std::string> cacheKey(std::string_view scheme, std::string_view authority,
                                    std::string_view pathAndQuery) {
  UriParts p;
  p.scheme = toLowerAscii(scheme);
  p.authority = std::string(trimOws(authority));
  pathAndQuery = stripFragment(pathAndQuery);
  if (pathAndQuery.empty() || pathAndQuery.front() != '/') return std::nullopt;
  splitPathQuery(pathAndQuery, p);
  return build(p);
}

std::optional<std::string> cacheKeyForUri(std::string_view absoluteUri) {
  auto p = parseAbsolute(absoluteUri);
  if (!p) return std::nullopt;
  return build(*p);
}

std::optional<std::string> originOf(std::string_view absoluteUri) {
  auto p = parseAbsolute(absoluteUri);
  if (!p || (p->scheme != "http" && p->scheme != "https")) return std::nullopt;
  auto authority = normaliseAuthority(p->scheme, p->authority);
  if (!authority) return std::nullopt;
  return p->scheme + "://" + *authority;
}

std::optional<std::string> resolveToCacheKey(std::string_view baseUri, std::string_view reference) {
  auto base = parseAbsolute(baseUri);
  if (!base) return std::nullopt;
  reference = stripFragment(trimOws(reference));
  // RFC 3986 §5.2.2, strict: a reference with a scheme is absolute.
  auto colon = reference.find(':');
  auto firstDelim = reference.find_first_of("/?#");
  if (colon != std::string_view::npos && colon < firstDelim && validScheme(reference.substr(0, colon))) {
    auto abs = parseAbsolute(reference);
    if (!abs) return std::nullopt;
    abs->path = removeDotSegments(abs->path);
    return build(*abs);
  }
  UriParts target;
  target.scheme = base->scheme;
  if (reference.substr(0, 2) == "//") {
    auto rest = reference.substr(2);
    auto end = rest.find_first_of("/?");
    target.authority = std::string(rest.substr(0, end));
    splitPathQuery(end == std::string_view::npos ? std::string_view() : rest.substr(end), target);
    target.path = removeDotSegments(target.path);
    return build(target);
  }
  target.authority = base->authority;
  UriParts ref;
  splitPathQuery(reference, ref);
  if (ref.path.empty()) {
    target.path = base->path;
    target.query = ref.query ? ref.query : base->query;
  } else if (ref.path.front() == '/') {
    target.path = removeDotSegments(ref.path);
    target.query = ref.query;
  } else {
    // §5.2.3 merge: base path up to its last '/', then the reference.
    std::string merged;
    if (base->path.empty()) {
      merged = "/" + ref.path;
    } else {
      auto lastSlash = base->path.rfind('/');
      merged = (lastSlash == std::string::npos ? std::string() : base->path.substr(0, lastSlash + 1)) + ref.path;
    }
    target.path = removeDotSegments(merged);
    target.query = ref.query;
  }
  return build(target);
}

namespace {

// unreserved / sub-delims (RFC 3986 §2.2-2.3).
bool isHostChar(char c) noexcept {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '-': case '.': case '_': case '~':
    case '!': case '$': case '&': case '\'': case '(': case ')': case '*': case '+': case ',': case ';': case '=':
      return true;
    default:
      return false;
  }
}

bool isHexDigit(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

bool isValidAuthority(std::string_view authority) noexcept {
  const auto parts = splitAuthority(authority);
  if (!parts) return false;
  const std::string_view host = parts->host, port = parts->port;
  if (!host.empty() && host.front() == '[') {
    // IP-literal: IPv6address or IPvFuture, checked only for its alphabet.
    if (host.size() == 2) return false;
    for (char c : host.substr(1, host.size() - 2)) {
      if (!isHostChar(c) && c != ':') return false;
    }
  } else {
    for (std::size_t i = 0; i < host.size(); ++i) {
      if (host[i] == '%') {
        if (i + 2 >= host.size() || !isHexDigit(host[i + 1]) || !isHexDigit(host[i + 2])) return false;
        i += 2;
      } else if (!isHostChar(host[i])) {
        return false;
      }
    }
  }
  for (char c : port) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace edgecache::proxy
