#pragma once
// Internal to store/ (and its tests): the key layout and the object record's
// byte encoding. No RocksDB types. Not part of the public API.
//
// Key space (one column family, one-byte prefixes keep the kinds apart):
//   'o' + cache key                     -> object record (encodeRecord)
//   'c' + be64(generation) + be32(idx)  -> chunk bytes
//   'p' + be64(generation)              -> pending-write marker (empty value)
//   'm' + "gen"                         -> be64: generations below this value
//                                          may have been handed out
// Big-endian numbers make one generation's chunks contiguous and ordered.
//
// Record encoding (little-endian fixed width):
//   u8 version(=1) | u64 generation | u64 size | u32 chunkBytes |
//   u32 chunkCount | u64 bodyHash | u64 chunkHash * chunkCount |
//   u32 metadataLength | metadata | u64 recordHash (XXH3-64 of all before)

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace edgecache::store::detail {

inline constexpr char kRecordPrefix = 'o';
inline constexpr char kChunkPrefix = 'c';
inline constexpr char kPendingPrefix = 'p';
inline constexpr std::string_view kGenerationCeilingKey = "mgen";

struct Record {
  std::uint64_t generation = 0;
  std::uint64_t sizeBytes = 0;
  std::uint32_t chunkBytes = 0;
  std::uint64_t bodyHash = 0;
  std::vector<std::uint64_t> chunkHashes;  // one per chunk
  std::string metadata;
};

std::string recordKey(std::string_view cacheKey);
std::string chunkKey(std::uint64_t generation, std::uint32_t index);
// Key bounds covering every chunk of `generation`: [chunkKey(g,0), this).
std::string chunkKeyEnd(std::uint64_t generation);
std::string pendingKey(std::uint64_t generation);
// Generation of a 'p' key; nullopt if malformed.
std::optional<std::uint64_t> parsePendingKey(std::string_view key);

std::string encodeU64(std::uint64_t v);  // big-endian
std::optional<std::uint64_t> decodeU64(std::string_view bytes);

std::string encodeRecord(const Record& r);
// nullopt when the bytes are truncated, of an unknown version, or fail the
// record checksum.
std::optional<Record> decodeRecord(std::string_view bytes);
// The generation field of a record that may fail decodeRecord (version byte
// and generation present, nothing else checked): only a hint, which the
// caller must confirm before acting on it. nullopt when too short or of
// another version.
std::optional<std::uint64_t> recordGenerationHint(std::string_view bytes);

// XXH3-64 of a chunk (seed 0).
std::uint64_t chunkHash(std::string_view bytes) noexcept;

}  // namespace edgecache::store::detail
