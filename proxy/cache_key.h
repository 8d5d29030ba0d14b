#pragma once
// Cache keys (primary key, RFC 9111 §2): the target URI in a normal form,
//   scheme "://" lower-cased host [":" port] path-and-query
// e.g. "https://example.com/a/b?x=1". The scheme is lower-cased, a default
// port (80 for http, 443 for https) is dropped, an empty path becomes "/",
// a fragment is removed; path and query are kept byte for byte (no
// percent-decoding, no query reordering: those can change semantics).
// The key is a plain string; the proxy hashes it. GET and HEAD share a key
// (a HEAD is answered from a stored GET response, RFC 9110 §9.3.2).
// Secondary keys (Vary) are in proxy/vary.h.
//
// Pure, thread safe; failures (no host, bad port, non-origin-form target)
// return std::nullopt and the request is simply not cached.

#include <optional>
#include <string>
#include <string_view>

namespace edgecache::proxy {

// Key for a request received in origin-form: `scheme` ("http"/"https", any
// case), `authority` from the Host field (host[:port], IPv6 in brackets), and
// `pathAndQuery` (the request-target; must start with '/').
std::optional<std::string> cacheKey(std::string_view scheme, std::string_view authority,
                                    std::string_view pathAndQuery);

// Key for an absolute URI ("http://Host:80/p?q#frag" -> "http://host/p?q").
// Only http and https URIs yield a key.
std::optional<std::string> cacheKeyForUri(std::string_view absoluteUri);

// The origin part of a key or absolute URI ("https://host[:port]"), used for
// same-origin checks (RFC 9110 §4.3.1). nullopt if not an http(s) URI.
std::optional<std::string> originOf(std::string_view absoluteUri);

// Resolves a URI reference (absolute URI, "//authority/...", "/abs/path",
// "rel/path", "?query", "../x") against an absolute base URI per RFC 3986 §5.2
// (dot segments removed), then normalises it as a cache key.
std::optional<std::string> resolveToCacheKey(std::string_view baseUri, std::string_view reference);

// True when `authority` is a valid Host field value, uri-host [":" port]
// (RFC 9110 §7.2 with RFC 3986 §3.2.2-3.2.3): an IP-literal in brackets or a
// reg-name / IPv4 address of unreserved, sub-delims and %-escapes, then an
// optional all-digit port. No userinfo, no whitespace. Empty is valid (the
// grammar allows it; whether a host is needed is the caller's business).
// O(length).
bool isValidAuthority(std::string_view authority) noexcept;

}  // namespace edgecache::proxy
