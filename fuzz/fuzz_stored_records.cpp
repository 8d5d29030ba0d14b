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
// Checks besides the sanitizers: anything decoded re-encodes to the same
// bytes (the formats are canonical), and a decoded record's chunks cover
// exactly its size.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "fuzz/fuzz_support.h"
#include "proxy/stored_object.h"
#include "store/record_format.h"

using namespace edgecache;

namespace {

void appendChecksum(std::string& bytes) {
  const std::uint64_t h = XXH3_64bits(bytes.data(), bytes.size());
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<char>((h >> (8 * i)) & 0xff));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  if ((mode & 0x02) != 0) bytes.insert(0, "ECSO1");
  if ((mode & 0x01) != 0) appendChecksum(bytes);

  if (auto record = store::detail::decodeRecord(bytes)) {
    fuzz::require(store::detail::encodeRecord(*record) == bytes, "record does not re-encode to the same bytes");
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
  }
  (void)store::detail::parsePendingKey(bytes);
  (void)store::detail::decodeU64(bytes);
  return 0;
}
