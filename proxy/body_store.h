#pragma once
// BodyStore: the seam between the proxy's data plane and whatever keeps
// response bodies (the RocksDB ObjectStore in production, an in-memory map in
// tests). The data plane only ever talks to this interface, so it builds and
// is tested without RocksDB; proxy/object_store_body_store.h adapts
// store/object_store.h to it.
//
// Objects are named by an opaque 64-bit store id chosen by the caller (the
// proxy uses a fresh random id per stored response, so a replacement never
// overwrites bytes a reader is still streaming). Each object is a body plus
// one opaque metadata blob (the proxy's encoded StoredObject, see
// proxy/stored_object.h).
//
// Contract for implementations:
//  - Thread safe: any method may be called from any thread concurrently.
//  - No exceptions (beyond bad_alloc); failures return Status / Result.
//  - beginWrite/append/commit: the object becomes visible (openRead, forEach)
//    only at commit; abort() (or destroying an uncommitted Writer) discards
//    it. Writers of different ids never interfere.
//  - Reader::read is positional and may be called with any offset; a
//    checksum or I/O failure is an error, never silently wrong bytes.
//  - erase() does not cut a Reader short: one opened before it keeps
//    reading the bytes it opened, front to back (the index relies on this
//    when it erases an invalidated body that is still being served).
//  - Calls may block on disk I/O for a short time (one chunk); the proxy calls
//    them from its I/O threads.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "cachelib/status.h"

namespace edgecache::proxy {

using cachelib::Result;
using cachelib::Status;

class BodyStore {
 public:
  class Writer {
   public:
    virtual ~Writer() = default;
    // Appends body bytes (any size, including 0).
    virtual Status append(std::string_view bytes) = 0;
    // Makes the object visible with its metadata; the writer is spent after.
    virtual Status commit(std::string_view metadata) = 0;
    // Discards everything written; idempotent, also after a failed commit.
    virtual void abort() noexcept = 0;
  };

  class Reader {
   public:
    virtual ~Reader() = default;
    virtual std::uint64_t sizeBytes() const noexcept = 0;
    // Copies up to out.size() bytes starting at `offsetBytes`; returns how
    // many (0 only at or past the end). Errors on corruption / I/O.
    virtual Result<std::size_t> read(std::uint64_t offsetBytes, std::span<char> out) = 0;
    // The whole body as one contiguous, immutable buffer when the
    // implementation holds it in memory (valid while this Reader lives), so
    // a hit can be written without copying; null otherwise.
    virtual const std::string* contiguous() const noexcept { return nullptr; }
    // A file descriptor whose bytes [0, sizeBytes()) are the body, immutable
    // and valid while this Reader lives, so a hit can be sent with
    // sendfile(2) without copying through user space; -1 otherwise.
    virtual int fileDescriptor() const noexcept { return -1; }
  };

  // What forEach reports per committed object. `writeOrder` is larger for
  // an object whose write began later (in any process over the same store),
  // so of two stored copies of one response the rebuild keeps the later
  // even when their times tie; equal values tell nothing.
  using ScanFn = std::function<void(std::uint64_t storeId, std::string_view metadata, std::uint64_t bodyBytes,
                                    std::uint64_t writeOrder)>;

  virtual ~BodyStore() = default;

  virtual Result<std::unique_ptr<Writer>> beginWrite(std::uint64_t storeId) = 0;
  virtual Result<std::unique_ptr<Reader>> openRead(std::uint64_t storeId) = 0;
  // Removing an absent id is not an error.
  virtual Status erase(std::uint64_t storeId) = 0;
  virtual Status updateMetadata(std::uint64_t storeId, std::string_view metadata) = 0;
  // Every committed object, in unspecified order (start-up index rebuild).
  // The callback must not call back into the store.
  virtual Status forEach(const ScanFn& fn) = 0;
};

// A BodyStore in process memory: for tests and for running without a disk
// store. Thread safe (one mutex); bodies are copied on commit.
std::unique_ptr<BodyStore> makeMemoryBodyStore();

}  // namespace edgecache::proxy
