#include "proxy/stored_object.h"

#include <cstring>

#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace edgecache::proxy {
namespace {

constexpr std::string_view kMagic = "ECSO1";  // bump on any format change
constexpr std::uint32_t kMaxFieldBytes = 1u << 20;
constexpr std::uint32_t kMaxCount = 1u << 16;
// Request/response times outside [1970, 9999-12-31T23:59:59Z] (the range of
// an HTTP-date) are corruption: the proxy writes system_clock readings. Larger
// values would overflow the age arithmetic of freshness.cpp.
constexpr std::int64_t kLatestTimeSeconds = 253'402'300'799;

void putU64(std::string& out, std::uint64_t v) {
  char b[8];
  for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
  out.append(b, 8);
}
void putStr(std::string& out, std::string_view s) {
  putU64(out, s.size());
  out.append(s);
}

struct ByteReader {
  std::string_view in;
  bool ok = true;
  std::uint64_t u64() {
    if (in.size() < 8) {
      ok = false;
      return 0;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(in[i])) << (8 * i);
    in.remove_prefix(8);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    if (!ok || n > kMaxFieldBytes || n > in.size()) {
      ok = false;
      return {};
    }
    std::string s(in.substr(0, n));
    in.remove_prefix(n);
    return s;
  }
};

}  // namespace

std::uint64_t variantHash(std::string_view primaryKey, std::string_view varyKey) noexcept {
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  XXH3_64bits_update(&state, primaryKey.data(), primaryKey.size());
  const char sep = '\0';
  XXH3_64bits_update(&state, &sep, 1);
  XXH3_64bits_update(&state, varyKey.data(), varyKey.size());
  return XXH3_64bits_digest(&state);
}

std::uint64_t primaryHash(std::string_view primaryKey) noexcept {
  return XXH3_64bits(primaryKey.data(), primaryKey.size());
}

std::string encodeStoredObject(const StoredObject& object) {
  std::string out(kMagic);
  putStr(out, object.primaryKey);
  putU64(out, object.variantId);
  putU64(out, object.bodyBytes);
  putU64(out, static_cast<std::uint64_t>(object.response.status));
  putU64(out, static_cast<std::uint64_t>(object.response.requestTime.time_since_epoch().count()));
  putU64(out, static_cast<std::uint64_t>(object.response.responseTime.time_since_epoch().count()));
  putStr(out, object.response.varyKey);
  putU64(out, object.response.headers.size());
  for (const auto& f : object.response.headers) {
    putStr(out, f.name);
    putStr(out, f.value);
  }
  putU64(out, object.varyNames.size());
  for (const auto& n : object.varyNames) putStr(out, n);
  // Trailing checksum of everything before it: a torn metadata write is
  // detected even when the lengths happen to parse.
  putU64(out, XXH3_64bits(out.data(), out.size()));
  return out;
}

std::optional<StoredObject> decodeStoredObject(std::string_view blob) {
  if (blob.size() < kMagic.size() + 8 || blob.substr(0, kMagic.size()) != kMagic) return std::nullopt;
  {
    ByteReader tail{blob.substr(blob.size() - 8)};
    if (tail.u64() != XXH3_64bits(blob.data(), blob.size() - 8)) return std::nullopt;
  }
  ByteReader r{blob.substr(kMagic.size(), blob.size() - kMagic.size() - 8)};
  StoredObject o;
  o.primaryKey = r.str();
  o.variantId = r.u64();
  o.bodyBytes = r.u64();
  const std::uint64_t status = r.u64();
  o.response.requestTime = HttpTime(std::chrono::seconds(static_cast<std::int64_t>(r.u64())));
  o.response.responseTime = HttpTime(std::chrono::seconds(static_cast<std::int64_t>(r.u64())));
  o.response.varyKey = r.str();
  const std::uint64_t fields = r.u64();
  if (!r.ok || fields > kMaxCount || status < 100 || status > 999) return std::nullopt;
  for (const HttpTime t : {o.response.requestTime, o.response.responseTime}) {
    if (t.time_since_epoch().count() < 0 || t.time_since_epoch().count() > kLatestTimeSeconds) return std::nullopt;
  }
  o.response.status = static_cast<int>(status);
  for (std::uint64_t i = 0; i < fields && r.ok; ++i) {
    std::string name = r.str();
    std::string value = r.str();
    o.response.headers.add(name, value);
  }
  const std::uint64_t names = r.u64();
  if (!r.ok || names > kMaxCount) return std::nullopt;
  for (std::uint64_t i = 0; i < names && r.ok; ++i) o.varyNames.push_back(r.str());
  if (!r.ok || !r.in.empty()) return std::nullopt;
  if (o.variantId != variantHash(o.primaryKey, o.response.varyKey)) return std::nullopt;
  return o;
}

}  // namespace edgecache::proxy
