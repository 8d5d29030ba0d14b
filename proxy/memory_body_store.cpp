// In-memory BodyStore (see proxy/body_store.h). Bodies are shared_ptr'd so a
// Reader keeps reading the bytes it opened even if the object is erased or
// replaced meanwhile, like a RocksDB snapshot would.

#include "proxy/body_store.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace edgecache::proxy {
namespace {

struct MemoryObject {
  std::shared_ptr<const std::string> body;
  std::string metadata;
  std::uint64_t writeOrder = 0;
};

struct MemoryState {
  std::mutex mutex;
  std::unordered_map<std::uint64_t, MemoryObject> objects;
  std::atomic<std::uint64_t> nextWriteOrder{1};
};

class MemoryWriter final : public BodyStore::Writer {
 public:
  MemoryWriter(std::shared_ptr<MemoryState> state, std::uint64_t id)
      : state_(std::move(state)), id_(id), writeOrder_(state_->nextWriteOrder.fetch_add(1)) {}
  Status append(std::string_view bytes) override {
    if (done_) return Status::error("memory store: append after commit/abort");
    body_.append(bytes);
    return Status::ok();
  }
  Status commit(std::string_view metadata) override {
    if (done_) return Status::error("memory store: commit after commit/abort");
    done_ = true;
    std::lock_guard lock(state_->mutex);
    state_->objects[id_] =
        MemoryObject{std::make_shared<const std::string>(std::move(body_)), std::string(metadata), writeOrder_};
    return Status::ok();
  }
  void abort() noexcept override {
    done_ = true;
    body_.clear();
  }

 private:
  std::shared_ptr<MemoryState> state_;
  std::uint64_t id_;
  std::uint64_t writeOrder_;  // taken at beginWrite, as ObjectStore's generation
  std::string body_;
  bool done_ = false;
};

class MemoryReader final : public BodyStore::Reader {
 public:
  explicit MemoryReader(std::shared_ptr<const std::string> body) : body_(std::move(body)) {}
  std::uint64_t sizeBytes() const noexcept override { return body_->size(); }
  Result<std::size_t> read(std::uint64_t offsetBytes, std::span<char> out) override {
    if (offsetBytes >= body_->size()) return std::size_t{0};
    const std::size_t n = std::min<std::uint64_t>(out.size(), body_->size() - offsetBytes);
    std::memcpy(out.data(), body_->data() + offsetBytes, n);
    return n;
  }

 private:
  std::shared_ptr<const std::string> body_;
};

class MemoryBodyStore final : public BodyStore {
 public:
  Result<std::unique_ptr<Writer>> beginWrite(std::uint64_t storeId) override {
    return std::unique_ptr<Writer>(std::make_unique<MemoryWriter>(state_, storeId));
  }
  Result<std::unique_ptr<Reader>> openRead(std::uint64_t storeId) override {
    std::lock_guard lock(state_->mutex);
    auto it = state_->objects.find(storeId);
    if (it == state_->objects.end()) return Result<std::unique_ptr<Reader>>::error("memory store: no such object");
    return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(it->second.body));
  }
  Status erase(std::uint64_t storeId) override {
    std::lock_guard lock(state_->mutex);
    state_->objects.erase(storeId);
    return Status::ok();
  }
  Status updateMetadata(std::uint64_t storeId, std::string_view metadata) override {
    std::lock_guard lock(state_->mutex);
    auto it = state_->objects.find(storeId);
    if (it == state_->objects.end()) return Status::error("memory store: updateMetadata of an absent object");
    it->second.metadata.assign(metadata);
    return Status::ok();
  }
  Status forEach(const ScanFn& fn) override {
    std::lock_guard lock(state_->mutex);
    for (const auto& [id, object] : state_->objects) fn(id, object.metadata, object.body->size(), object.writeOrder);
    return Status::ok();
  }

 private:
  std::shared_ptr<MemoryState> state_ = std::make_shared<MemoryState>();
};

}  // namespace

std::unique_ptr<BodyStore> makeMemoryBodyStore() { return std::make_unique<MemoryBodyStore>(); }

}  // namespace edgecache::proxy
