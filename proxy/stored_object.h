#pragma once
// StoredObject: everything the proxy knows about one stored response variant
// (the RFC 9111 StoredResponse plus keys and body size), and its encoding as
// the store's opaque metadata blob.
//
// Identity:
//  - primaryKey: proxy/cache_key.h string ("http://host/path?q");
//  - variantId = variantHash(primaryKey, varyKey): the cachelib key (XXH3-64);
//  - storeId: the BodyStore object holding the body, fresh per stored
//    response (a replacement gets a new id; the old body is erased when its
//    last reader lets go, see StoredBody).
//
// Encoding: a versioned, length-prefixed binary format; decodeStoredObject
// rejects anything truncated, oversized or of another version (a corrupt
// record is dropped at start-up, never served). Pure, thread safe.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/freshness.h"

namespace edgecache::proxy {

// XXH3-64 of primaryKey '\0' varyKey: the cachelib key of a variant.
std::uint64_t variantHash(std::string_view primaryKey, std::string_view varyKey) noexcept;
// XXH3-64 of the primary key alone (collapsing and invalidation).
std::uint64_t primaryHash(std::string_view primaryKey) noexcept;

// Owns one body in the store: when the last StoredObject version referring
// to it is released, `onRelease` (set by the index) erases it. Disarmed at
// shutdown so that closing the process keeps the store's contents.
class StoredBody {
 public:
  StoredBody(std::uint64_t storeId, std::function<void(std::uint64_t)> onRelease)
      : storeId_(storeId), onRelease_(std::move(onRelease)) {}
  ~StoredBody() {
    if (onRelease_) onRelease_(storeId_);
  }
  StoredBody(const StoredBody&) = delete;
  StoredBody& operator=(const StoredBody&) = delete;
  std::uint64_t storeId() const noexcept { return storeId_; }

 private:
  std::uint64_t storeId_;
  std::function<void(std::uint64_t)> onRelease_;
};

struct StoredObject {
  std::string primaryKey;
  std::uint64_t variantId = 0;
  std::uint64_t bodyBytes = 0;
  StoredResponse response;             // status, headers, request/response time, varyKey
  std::vector<std::string> varyNames;  // proxy/vary.h varyFieldNames of response.headers
  std::shared_ptr<StoredBody> body;    // not encoded; attached by the index
};

// The metadata blob written with the body.
std::string encodeStoredObject(const StoredObject& object);
// nullopt for any malformed blob.
std::optional<StoredObject> decodeStoredObject(std::string_view blob);

}  // namespace edgecache::proxy
