#pragma once
// CachingRulesConfig: the knobs of the HTTP caching rules in proxy/. Every rule
// function that needs one takes `const CachingRulesConfig&`; a
// default-constructed config is the RFC 9111 shared-cache behaviour described
// in each header. Plain data, copied freely; no validation beyond what the
// field comments say happens when a value is out of range.

#include <chrono>
#include <cstdint>

namespace edgecache::proxy {

struct CachingRulesConfig {
  // Heuristic freshness (RFC 9111 §4.2.2) = this fraction of
  // (Date - Last-Modified). The RFC's "typical setting" is 10%. <= 0 disables
  // heuristic freshness.
  double heuristicFraction = 0.1;
  // Upper bound of a heuristic freshness lifetime.
  std::chrono::seconds heuristicCap = std::chrono::hours(24);
  // Largest body the cache will store, in bytes; 0 means no limit. A response
  // whose Content-Length exceeds it is not storable; one without
  // Content-Length (chunked) is storable and the glue must abandon storing
  // once the body grows past the limit.
  std::uint64_t maxObjectBytes = 64ull << 20;
  // Store 206 (Partial Content) responses. Off: the proxy stores whole 200
  // responses and answers Range requests itself (proxy/range.h); storing
  // fragments needs the combining logic of RFC 9111 §3.3/§3.4, not present.
  bool storePartialContent = false;
  // Treat "Pragma: no-cache" in a request that has no Cache-Control field as
  // "Cache-Control: no-cache" (the RFC 7234 §5.4 rule; RFC 9111 §5.4 only
  // deprecates Pragma, so honouring it remains the conservative choice).
  bool honorRequestPragmaNoCache = true;
};

}  // namespace edgecache::proxy
