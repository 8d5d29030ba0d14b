#pragma once
// Adapts store::ObjectStore (RocksDB, chunked, checksummed) to the data
// plane's BodyStore seam. Store ids map to ObjectStore keys as 16 lower-case
// hex digits ("00000000deadbeef"); the proxy's own metadata blob is passed
// through unchanged.
//
// Reader::read is positional over ObjectStore's sequential chunk reader: a
// read at the current position (the common case: serving a body front to
// back) costs one chunk fetch; a forward jump (Range) discards the chunks in
// between; a backward jump reopens the object. Checksum failures surface as
// errors (the proxy then drops the object and never serves it).
// Thread safety as BodyStore (ObjectStore is thread safe; a Reader/Writer is
// used by one coroutine at a time).

#include <memory>

#include "proxy/body_store.h"
#include "store/object_store.h"

namespace edgecache::proxy {

// `store` must outlive the adapter and every Reader/Writer it returns.
std::unique_ptr<BodyStore> makeObjectStoreBodyStore(store::ObjectStore& store);

// 16 hex digits; the inverse returns nullopt for anything else.
std::string storeKeyFor(std::uint64_t storeId);
std::optional<std::uint64_t> storeIdFromKey(std::string_view key);

}  // namespace edgecache::proxy
