// Fuzzes the pure HTTP caching rules of proxy/ from one input.
//
// Input layout (text): the first line is "METHOD TARGET" (TARGET an absolute
// URI, or a path with the authority taken from Host); then request header
// lines "name: value" up to an empty line; then stored-response header lines
// up to an empty line; then origin-304 header lines. Bytes before the first
// newline's method also pick the status: the first byte of the input modulo
// a small table. Every rule runs on every input:
//   Cache-Control (request, response, raw directives), HTTP dates and
//   delta-seconds (each header value), Range/If-Range, Vary keys,
//   conditional requests and 304 merging, request framing and chunk-size
//   lines, storability, hop-by-hop stripping, cache keys and URI
//   resolution, invalidation by unsafe methods (Location and
//   Content-Location of the stored headers), freshness/age/serving decisions.
//
// Checks besides the sanitizers (each a documented contract):
//   - parseHttpDate(formatHttpDate(t)) == t for every date we parsed;
//   - a 206 decision has first <= last < length and the matching length;
//   - a request always matches the vary key computed from itself (no "*");
//   - stripHopByHop leaves no fixed hop-by-hop field;
//   - cache keys are idempotent: cacheKeyForUri(key) == key;
//   - an unsafe method invalidates its own key first, then only keys of the
//     same origin, each a fixed point of cacheKeyForUri, none twice.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.h"
#include "proxy/cache_control.h"
#include "proxy/cache_key.h"
#include "proxy/caching_rules_config.h"
#include "proxy/conditional.h"
#include "proxy/framing.h"
#include "proxy/freshness.h"
#include "proxy/hop_by_hop.h"
#include "proxy/http_date.h"
#include "proxy/http_headers.h"
#include "proxy/invalidation.h"
#include "proxy/range.h"
#include "proxy/storability.h"
#include "proxy/vary.h"

using namespace edgecache::proxy;
using std::chrono::seconds;

namespace {

// Next line of `text` (without CR/LF); empties `text` at the end.
std::string_view nextLine(std::string_view& text) {
  const auto nl = text.find('\n');
  std::string_view line = text.substr(0, nl);
  text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

// Header lines up to an empty line (or the end).
HttpHeaders parseSection(std::string_view& text) {
  HttpHeaders headers;
  while (!text.empty()) {
    const std::string_view line = nextLine(text);
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      headers.add(line, "");
    } else {
      headers.add(line.substr(0, colon), trimOws(line.substr(colon + 1)));
    }
  }
  return headers;
}

void checkDates(const HttpHeaders& headers, HttpTime now) {
  for (const auto& field : headers) {
    if (auto t = parseHttpDate(field.value, now)) {
      const std::string formatted = formatHttpDate(*t);
      const auto again = parseHttpDate(formatted, now);
      edgecache::fuzz::require(again.has_value() && *again == *t, "formatHttpDate output does not parse back", field.value);
    }
    (void)parseDeltaSeconds(field.value);
    (void)parseChunkSizeLine(field.value);
    (void)parseEntityTag(field.value);
    (void)splitList(field.value);
    (void)unquote(field.value);
  }
}

void checkRange(const RangeDecision& d, std::uint64_t length, std::string_view input) {
  if (d.outcome != RangeOutcome::kPartial) return;
  edgecache::fuzz::require(d.firstByte <= d.lastByte && d.lastByte < length, "206 range outside the representation", input);
  edgecache::fuzz::require(d.contentLengthBytes == d.lastByte - d.firstByte + 1, "206 Content-Length does not match the range", input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static constexpr int kStatuses[] = {200, 203, 204, 206, 301, 302, 304, 307, 404, 410, 500, 503, 100, 299, 999};
  const int status = kStatuses[data[0] % (sizeof kStatuses / sizeof kStatuses[0])];
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const HttpTime now{seconds(1'700'000'000)};
  const CachingRulesConfig config;

  const std::string_view requestLine = nextLine(text);
  const auto space = requestLine.find(' ');
  const std::string_view method = requestLine.substr(0, space);
  const std::string_view target = space == std::string_view::npos ? std::string_view{} : requestLine.substr(space + 1);
  const HttpHeaders request = parseSection(text);
  const HttpHeaders stored = parseSection(text);
  const HttpHeaders origin304 = parseSection(text);

  checkDates(request, now);
  checkDates(stored, now);

  (void)parseCacheDirectives(request);
  (void)parseRequestCacheControl(request, true);
  (void)parseResponseCacheControl(stored);

  // Cache keys.
  std::optional<std::string> key;
  if (!target.empty() && target.front() == '/') {
    key = cacheKey("http", request.get("host").value_or(""), target);
  } else {
    key = cacheKeyForUri(target);
    (void)originOf(target);
  }
  if (key) {
    const auto again = cacheKeyForUri(*key);
    edgecache::fuzz::require(again.has_value() && *again == *key, "cache key is not a fixed point of cacheKeyForUri", *key);
    if (auto location = stored.get("location")) (void)resolveToCacheKey(*key, *location);
    if (auto location = stored.get("content-location")) (void)resolveToCacheKey(*key, *location);
    // What an unsafe request answered with the stored headers invalidates.
    const auto keys = keysToInvalidate(method, status, *key, stored);
    if (!keys.empty()) {
      edgecache::fuzz::require(!isSafeMethod(method) && keys.front() == *key, "invalidation misses its own key", *key);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const auto k = cacheKeyForUri(keys[i]);
        edgecache::fuzz::require(k.has_value() && *k == keys[i], "invalidated key is not a fixed point", keys[i]);
        edgecache::fuzz::require(originOf(keys[i]) == originOf(*key), "invalidated key of another origin", keys[i]);
        for (std::size_t j = 0; j < i; ++j)
          edgecache::fuzz::require(keys[j] != keys[i], "key invalidated twice", keys[i]);
      }
    }
  }

  // Framing.
  (void)validateRequestFraming(request, false);
  (void)validateRequestFraming(request, true);

  // Hop-by-hop.
  const HttpHeaders stripped = stripHopByHop(stored);
  for (const auto& field : stripped) edgecache::fuzz::require(!isHopByHopField(field.name), "hop-by-hop field survived", field.name);
  (void)stripHopByHop(request);

  // Vary.
  const std::string varyKeyValue = varyKey(stored, request);
  (void)varyFieldNames(stored);
  if (!varyHasWildcard(stored)) {
    edgecache::fuzz::require(varyMatches(stored, varyKeyValue, request), "request does not match its own vary key", varyKeyValue);
  }

  // Range and If-Range.
  for (const std::uint64_t length : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{10000},
                                     std::uint64_t{UINT64_MAX}}) {
    for (const auto value : request.getAll("range")) checkRange(parseByteRange(value, length), length, value);
    checkRange(evaluateRange(method, request, stored, length, now), length, "evaluateRange");
  }
  if (auto ifRange = request.get("if-range")) (void)ifRangeMatches(trimOws(*ifRange), stored, now);

  // Conditional requests.
  (void)evaluateConditional(method, request, status, stored, now);
  (void)hasOriginOnlyPreconditions(request);
  (void)notModifiedHeaders(stored, seconds(5));
  (void)buildRevalidationRequest(request, stored);
  (void)notModifiedMatchesStored(stored, origin304, now);
  (void)mergeNotModified(stored, origin304, now);

  // Storability, freshness, serving.
  std::optional<std::uint64_t> contentLength;
  if (auto cl = stored.get("content-length")) {
    if (auto d = parseDeltaSeconds(*cl)) contentLength = static_cast<std::uint64_t>(d->count());
  }
  (void)evaluateStorability(method, request, status, stored, contentLength, config);
  (void)freshnessLifetime(status, stored, now - seconds(10), config);
  (void)parseAgeField(stored);
  (void)calculateAge(stored, now - seconds(20), now - seconds(10), now);
  StoredResponse response;
  response.status = status;
  response.headers = stored;
  response.requestTime = now - seconds(20);
  response.responseTime = now - seconds(10);
  response.varyKey = varyKeyValue;
  const auto decision = decideServing(method, request, &response, now, config);
  (void)formatAge(decision.currentAge);
  (void)decideServing(method, request, nullptr, now, config);
  return 0;
}
