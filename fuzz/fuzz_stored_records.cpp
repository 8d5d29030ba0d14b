// Fuzzes what a restart reads back from RocksDB: the store's object record
// (store::detail::decodeRecord) and the proxy's metadata blob inside it
// (proxy::decodeStoredObject), plus the small key decoders.
//
// Both encodings end in an XXH3-64 checksum of everything before it, which a
// fuzzer cannot forge; so byte 0 selects whether the harness appends the
// correct checksum to the rest of the input (reaching the field decoders, as
// a record written by a buggy or older writer would) or decodes it as is
// (torn writes, bit flips). Bit 0x02 prefixes the proxy blob's magic.
//
// A decoded blob then goes through decideServing, as on the first request
// after a restart. Checks besides the sanitizers: anything decoded re-encodes to the same
// bytes (the formats are canonical), and a decoded record's chunks cover
// exactly its size.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "fuzz/fuzz_support.h"
#include "proxy/caching_rules_config.h"
#include "proxy/freshness.h"
#include "proxy/stored_object.h"
#include "proxy/vary.h"
#include "store/record_format.h"

using namespace edgecache;

namespace {

void appendChecksum(std::string& bytes) {
  const std::uint64_t h = XXH3_64bits(bytes.data(), bytes.size());
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
}

// Mode 0x04: a StoredObject built from the input (two LE 64-bit times, a
// status byte, then lines: primary key, vary key, "name: value" headers),
// encoded by encodeStoredObject; so the variant id and checksum are right and
// the decoder and decideServing see arbitrary times and headers. Sets
// `plausible` when both times lie in 1970..9999, the range decode accepts.
std::string encodeFromFields(std::string_view in, bool& plausible) {
  if (in.size() < 17) return {};
  auto le64 = [](std::string_view b) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(b[i])) << (8 * i);
    return static_cast<std::int64_t>(v);
  };
  proxy::StoredObject o;
  o.response.requestTime = proxy::HttpTime(std::chrono::seconds(le64(in.substr(0, 8))));
  o.response.responseTime = proxy::HttpTime(std::chrono::seconds(le64(in.substr(8, 8))));
  o.response.status = 100 + static_cast<unsigned char>(in[16]) * 3;
  plausible = true;
  for (const auto t : {o.response.requestTime, o.response.responseTime}) {
    if (t.time_since_epoch().count() < 0 || t.time_since_epoch().count() > 253'402'300'799) plausible = false;
  }
  in.remove_prefix(17);
  auto line = [&in] {
    const auto nl = in.find('\n');
    std::string_view l = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    return l;
  };
  o.primaryKey = std::string(line());
  o.response.varyKey = std::string(line());
  while (!in.empty()) {
    const std::string_view l = line();
    const auto colon = l.find(':');
    o.response.headers.add(l.substr(0, colon), colon == std::string_view::npos ? "" : l.substr(colon + 1));
  }
  o.varyNames = proxy::varyFieldNames(o.response.headers);
  o.variantId = proxy::variantHash(o.primaryKey, o.response.varyKey);
  o.bodyBytes = o.primaryKey.size();
  return proxy::encodeStoredObject(o);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((mode & 0x04) != 0) {
    bool plausible = false;
    bytes = encodeFromFields(bytes, plausible);
    if (bytes.empty()) return 0;
    if (plausible) {
      fuzz::require(proxy::decodeStoredObject(bytes).has_value(), "an encoded stored object does not decode");
    }
  }
  if ((mode & 0x02) != 0) bytes.insert(0, "ECSO1");
  if ((mode & 0x01) != 0) appendChecksum(bytes);

  // open() reads a generation hint from records that fail to decode.
  const auto hint = store::detail::recordGenerationHint(bytes);
  if (auto record = store::detail::decodeRecord(bytes)) {
    fuzz::require(store::detail::encodeRecord(*record) == bytes, "record does not re-encode to the same bytes");
    fuzz::require(hint == record->generation, "generation hint disagrees with the decoded record");
    fuzz::require(record->chunkBytes > 0, "record with zero chunk size");
    const std::uint64_t chunks = record->chunkHashes.size();
    // ceil(size / chunkBytes) chunks, computed without overflow.
    const std::uint64_t expected =
        record->sizeBytes / record->chunkBytes + (record->sizeBytes % record->chunkBytes != 0 ? 1 : 0);
    fuzz::require(chunks == expected, "record chunk count does not cover its size");
    if (auto object = proxy::decodeStoredObject(record->metadata)) {
      fuzz::require(proxy::encodeStoredObject(*object) == record->metadata, "nested blob does not re-encode");
    }
  }
  if (auto object = proxy::decodeStoredObject(bytes)) {
    fuzz::require(proxy::encodeStoredObject(*object) == bytes, "stored object does not re-encode to the same bytes");
    fuzz::require(object->variantId == proxy::variantHash(object->primaryKey, object->response.varyKey),
          "variant id does not match its keys");
    // What the proxy does next with a record read back at start-up: decide
    // whether it may serve it (times, Age, freshness from the stored headers).
    const proxy::HttpTime now{std::chrono::seconds(1'700'000'000)};
    const proxy::CachingRulesConfig config;
    const proxy::HttpHeaders request{{"Accept-Encoding", "gzip"}};
    (void)proxy::decideServing("GET", request, &object->response, now, config);
    (void)proxy::varyMatches(object->response.headers, object->response.varyKey, request);
  }
  (void)store::detail::parsePendingKey(bytes);
  (void)store::detail::decodeU64(bytes);
  return 0;
}
