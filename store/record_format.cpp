#include "store/record_format.h"

#include <xxhash.h>

namespace edgecache::store::detail {
namespace {

constexpr std::uint8_t kRecordVersion = 1;

void putBe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t getBe(std::string_view in, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

void putLe(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Little-endian reader over a byte string; every get fails softly (ok_ false)
// instead of reading past the end, so a truncated record decodes to nullopt.
class LeReader {
 public:
  explicit LeReader(std::string_view in) : in_(in) {}
  std::uint64_t get(int bytes) {
    if (!ok_ || in_.size() - pos_ < static_cast<std::size_t>(bytes)) {
      ok_ = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<std::uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return v;
  }
  std::string_view take(std::size_t n) {
    if (!ok_ || in_.size() - pos_ < n) {
      ok_ = false;
      return {};
    }
    auto s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  bool ok() const { return ok_; }
  std::size_t pos() const { return pos_; }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string recordKey(std::string_view cacheKey) {
  std::string k;
  k.reserve(1 + cacheKey.size());
  k.push_back(kRecordPrefix);
  k.append(cacheKey);
  return k;
}

std::string chunkKey(std::uint64_t generation, std::uint32_t index) {
  std::string k;
  k.reserve(13);
  k.push_back(kChunkPrefix);
  putBe(k, generation, 8);
  putBe(k, index, 4);
  return k;
}

std::string chunkKeyEnd(std::uint64_t generation) {
  // All of generation g's keys sort before 'c' + be64(g) + 0xff*5.
  std::string k;
  k.push_back(kChunkPrefix);
  putBe(k, generation, 8);
  k.append(5, '\xff');
  return k;
}

std::string pendingKey(std::uint64_t generation) {
  std::string k;
  k.push_back(kPendingPrefix);
  putBe(k, generation, 8);
  return k;
}

std::optional<std::uint64_t> parsePendingKey(std::string_view key) {
  if (key.size() != 9 || key[0] != kPendingPrefix) return std::nullopt;
  return getBe(key.substr(1), 8);
}

std::string encodeU64(std::uint64_t v) {
  std::string s;
  putBe(s, v, 8);
  return s;
}

std::optional<std::uint64_t> decodeU64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  return getBe(bytes, 8);
}

std::string encodeRecord(const Record& r) {
  std::string out;
  out.reserve(45 + 8 * r.chunkHashes.size() + r.metadata.size());
  out.push_back(static_cast<char>(kRecordVersion));
  putLe(out, r.generation, 8);
  putLe(out, r.sizeBytes, 8);
  putLe(out, r.chunkBytes, 4);
  putLe(out, r.chunkHashes.size(), 4);
  putLe(out, r.bodyHash, 8);
  for (auto h : r.chunkHashes) putLe(out, h, 8);
  putLe(out, r.metadata.size(), 4);
  out.append(r.metadata);
  putLe(out, XXH3_64bits(out.data(), out.size()), 8);
  return out;
}

std::optional<Record> decodeRecord(std::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  const auto body = bytes.substr(0, bytes.size() - 8);
  LeReader tail(bytes.substr(bytes.size() - 8));
  if (tail.get(8) != XXH3_64bits(body.data(), body.size())) return std::nullopt;

  LeReader in(body);
  if (in.get(1) != kRecordVersion) return std::nullopt;
  Record r;
  r.generation = in.get(8);
  r.sizeBytes = in.get(8);
  r.chunkBytes = static_cast<std::uint32_t>(in.get(4));
  const auto chunkCount = static_cast<std::uint32_t>(in.get(4));
  r.bodyHash = in.get(8);
  if (!in.ok() || chunkCount > (body.size() - in.pos()) / 8) return std::nullopt;
  r.chunkHashes.resize(chunkCount);
  for (auto& h : r.chunkHashes) h = in.get(8);
  const auto metaLen = in.get(4);
  r.metadata = std::string(in.take(metaLen));
  if (!in.ok() || in.pos() != body.size()) return std::nullopt;
  // Shape checks: the chunk count must match size and chunk size.
  if (r.chunkBytes == 0) return std::nullopt;
  // ceil(size / chunkBytes) without the overflow of size + chunkBytes - 1,
  // which let a size near 2^64 pass with (almost) no chunks.
  const std::uint64_t expected = r.sizeBytes / r.chunkBytes + (r.sizeBytes % r.chunkBytes != 0 ? 1 : 0);
  if (expected != chunkCount) return std::nullopt;
  return r;
}

std::optional<std::uint64_t> recordGenerationHint(std::string_view bytes) {
  LeReader in(bytes);
  if (in.get(1) != kRecordVersion) return std::nullopt;
  const std::uint64_t generation = in.get(8);
  if (!in.ok()) return std::nullopt;
  return generation;
}

std::uint64_t chunkHash(std::string_view bytes) noexcept { return XXH3_64bits(bytes.data(), bytes.size()); }

}  // namespace edgecache::store::detail
