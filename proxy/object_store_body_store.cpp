#include "proxy/object_store_body_store.h"

#include <cstring>

namespace edgecache::proxy {

std::string storeKeyFor(std::uint64_t storeId) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[storeId & 0xf];
    storeId >>= 4;
  }
  return out;
}

std::optional<std::uint64_t> storeIdFromKey(std::string_view key) {
  if (key.size() != 16) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : key) {
    v <<= 4;
    if (c >= '0' && c <= '9') {
      v |= std::uint64_t(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      v |= std::uint64_t(c - 'a' + 10);
    } else {
      return std::nullopt;
    }
  }
  return v;
}

namespace {

class AdaptedWriter final : public BodyStore::Writer {
 public:
  explicit AdaptedWriter(store::ObjectWriter w) : w_(std::move(w)) {}
  Status append(std::string_view bytes) override { return w_.append(bytes); }
  Status commit(std::string_view metadata) override { return w_.commit(metadata); }
  void abort() noexcept override { w_.abort(); }

 private:
  store::ObjectWriter w_;
};

class AdaptedReader final : public BodyStore::Reader {
 public:
  AdaptedReader(store::ObjectStore& s, std::string key, store::ObjectReader r)
      : store_(s), key_(std::move(key)), reader_(std::move(r)), size_(reader_->info().sizeBytes),
        generation_(reader_->info().generation) {}

  std::uint64_t sizeBytes() const noexcept override { return size_; }

  Result<std::size_t> read(std::uint64_t offsetBytes, std::span<char> out) override {
    if (offsetBytes >= size_ || out.empty()) return std::size_t{0};
    if (offsetBytes < chunkStart_) {
      // Backward: reopen (rare; a client re-reading from the start).
      auto r = store_.openRead(key_);
      if (!r) return r.status();
      if (!r.value() || r.value()->info().generation != generation_) {
        return Result<std::size_t>::error("store: object changed while being read");
      }
      reader_ = std::move(*r.value());
      chunk_.clear();
      chunkStart_ = 0;
    }
    while (offsetBytes >= chunkStart_ + chunk_.size()) {
      chunkStart_ += chunk_.size();
      auto next = reader_->next();
      if (!next) return next.status();
      if (!next.value()) return Result<std::size_t>::error("store: corrupt object: body shorter than recorded");
      chunk_ = std::move(*next.value());
      if (chunk_.empty()) return Result<std::size_t>::error("store: corrupt object: empty chunk");
    }
    const std::size_t at = static_cast<std::size_t>(offsetBytes - chunkStart_);
    const std::size_t n = std::min(out.size(), chunk_.size() - at);
    std::memcpy(out.data(), chunk_.data() + at, n);
    return n;
  }

 private:
  store::ObjectStore& store_;
  std::string key_;
  std::optional<store::ObjectReader> reader_;
  std::uint64_t size_;
  std::uint64_t generation_;
  std::string chunk_;            // the chunk covering [chunkStart_, chunkStart_ + size)
  std::uint64_t chunkStart_ = 0;
};

class ObjectStoreBodyStore final : public BodyStore {
 public:
  explicit ObjectStoreBodyStore(store::ObjectStore& s) : store_(s) {}

  Result<std::unique_ptr<Writer>> beginWrite(std::uint64_t storeId) override {
    auto w = store_.beginWrite(storeKeyFor(storeId));
    if (!w) return w.status();
    return std::unique_ptr<Writer>(std::make_unique<AdaptedWriter>(std::move(w).value()));
  }
  Result<std::unique_ptr<Reader>> openRead(std::uint64_t storeId) override {
    std::string key = storeKeyFor(storeId);
    auto r = store_.openRead(key);
    if (!r) return r.status();
    if (!r.value()) return Result<std::unique_ptr<Reader>>::error("store: no such object");
    return std::unique_ptr<Reader>(std::make_unique<AdaptedReader>(store_, std::move(key), std::move(*r.value())));
  }
  Status erase(std::uint64_t storeId) override {
    auto r = store_.erase(storeKeyFor(storeId));
    return r ? Status::ok() : r.status();
  }
  Status updateMetadata(std::uint64_t storeId, std::string_view metadata) override {
    auto r = store_.updateMetadata(storeKeyFor(storeId), metadata);
    if (!r) return r.status();
    return r.value() ? Status::ok() : Status::error("store: updateMetadata of an absent object");
  }
  Status forEach(const ScanFn& fn) override {
    std::vector<std::string> foreign;
    auto r = store_.forEach([&](std::string_view key, const store::ObjectInfo& info) {
      if (auto id = storeIdFromKey(key)) {
        fn(*id, info.metadata, info.sizeBytes, info.generation);  // generations grow with every beginWrite
      } else {
        foreign.emplace_back(key);  // not written by this proxy: drop it
      }
      return true;
    });
    for (const auto& k : foreign) (void)store_.erase(k);
    return r ? Status::ok() : r.status();
  }

 private:
  store::ObjectStore& store_;
};

}  // namespace

std::unique_ptr<BodyStore> makeObjectStoreBodyStore(store::ObjectStore& store) {
  return std::make_unique<ObjectStoreBodyStore>(store);
}

}  // namespace edgecache::proxy
