#pragma once
// Hop-by-hop header fields (RFC 9110 §7.6.1): a proxy removes them before
// forwarding, and a cache never stores them (RFC 9111 §3.1).
//
// Removed: Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization, and
// every field named as a connection option in any Connection line.
// The glue must add its own fields (Via, X-Forwarded-For, framing) AFTER
// stripping, so a client cannot use Connection to remove them.
// Pure, thread safe; O(lines x options).

#include <string_view>

#include "proxy/http_headers.h"

namespace edgecache::proxy {

// True for the fixed list above (case-insensitive); Connection-named fields
// are per message and not covered.
bool isHopByHopField(std::string_view name) noexcept;

// A copy of `headers` without hop-by-hop fields; order otherwise kept.
HttpHeaders stripHopByHop(const HttpHeaders& headers);

}  // namespace edgecache::proxy
