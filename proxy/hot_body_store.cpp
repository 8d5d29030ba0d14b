#include "proxy/hot_body_store.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace edgecache::proxy {

namespace {

// A hot body: in a string, or (large ones) in an anonymous in-memory file
// so hits go out with sendfile(2): the kernel then sends page references
// instead of copying the body from user space for every response.
struct HotBody {
  std::string data;  // empty when in `fd`
  int fd = -1;
  std::uint64_t size = 0;
  std::shared_ptr<std::atomic<std::size_t>> openFiles;  // the store's count of hot-tier fds
  HotBody() = default;
  HotBody(const HotBody&) = delete;
  HotBody& operator=(const HotBody&) = delete;
  ~HotBody() {
    if (fd >= 0) {
      ::close(fd);
      openFiles->fetch_sub(1, std::memory_order_relaxed);
    }
  }
};
using Body = std::shared_ptr<const HotBody>;

// A read-only descriptor of the same file (so no one, this process
// included, can change a body once it is served), or -1.
int reopenReadOnly(int fd) {
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  return ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
}

// Moves `body->data` into an unnamed file in `dir` (read-only once
// written) or a sealed memfd; keeps the string when both fail (e.g. out of
// file descriptors), so the hot tier never depends on them.
// At most `maxFiles` bodies are files at once, so the hot tier never takes
// the descriptors the proxy needs to accept connections.
void moveToFile(HotBody& body, const std::shared_ptr<std::atomic<std::size_t>>& openFiles, std::size_t maxFiles,
                const std::string& dir) {
  if (openFiles->fetch_add(1, std::memory_order_relaxed) >= maxFiles) {
    openFiles->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  int fd = dir.empty() ? -1 : ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  const bool tmpfile = fd >= 0;
  if (!tmpfile) fd = ::memfd_create("edgecache-hot", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    openFiles->fetch_sub(1, std::memory_order_relaxed);
    return;
  }
  std::size_t done = 0;
  while (done < body.data.size()) {
    const ssize_t n = ::write(fd, body.data.data() + done, body.data.size() - done);
    if (n <= 0) {
      ::close(fd);
      openFiles->fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  if (tmpfile) {
    const int readOnly = reopenReadOnly(fd);
    ::close(fd);
    if (readOnly < 0) {
      openFiles->fetch_sub(1, std::memory_order_relaxed);
      return;
    }
    fd = readOnly;
  } else {
    (void)::fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  }
  body.fd = fd;
  body.openFiles = openFiles;
  std::string().swap(body.data);
}

class MemoryReader final : public BodyStore::Reader {
 public:
  explicit MemoryReader(Body body) : body_(std::move(body)) {}
  std::uint64_t sizeBytes() const noexcept override { return body_->size; }
  Result<std::size_t> read(std::uint64_t offsetBytes, std::span<char> out) override {
    if (offsetBytes >= body_->size) return std::size_t{0};
    const std::size_t n = std::min<std::uint64_t>(out.size(), body_->size - offsetBytes);
    if (body_->fd < 0) {
      std::memcpy(out.data(), body_->data.data() + offsetBytes, n);
      return n;
    }
    const ssize_t got = ::pread(body_->fd, out.data(), n, static_cast<off_t>(offsetBytes));
    if (got < 0) return Result<std::size_t>::error(std::string("hot tier: pread: ") + std::strerror(errno));
    return static_cast<std::size_t>(got);
  }
  const std::string* contiguous() const noexcept override { return body_->fd < 0 ? &body_->data : nullptr; }
  int fileDescriptor() const noexcept override { return body_->fd; }

 private:
  Body body_;
};

}  // namespace

struct HotBodyStore::Shard {
  struct Entry {
    explicit Entry(Body b) : body(std::move(b)) {}
    Body body;
    // Set by hits under the shared lock (so atomic), cleared by the CLOCK
    // sweep under the exclusive one.
    std::atomic<bool> referenced{false};
  };
  // Hits take it shared: I/O threads serving the same hot body do not wait
  // on each other. Admission and erase take it exclusively.
  mutable std::shared_mutex mutex;
  std::unordered_map<std::uint64_t, Entry> map;
  std::deque<std::uint64_t> clock;  // admission order; may hold ids already erased (skipped)
  std::uint64_t bytes = 0;
};

HotBodyStore::HotBodyStore(BodyStore& inner, HotTierConfig config)
    : inner_(inner), config_(config), shards_(std::make_unique<Shard[]>(std::max<std::size_t>(1, config.shards))) {
  config_.shards = std::max<std::size_t>(1, config_.shards);
  shardBudget_ = config_.budgetBytes / config_.shards;
  maxObject_ = std::min(config_.maxObjectBytes, shardBudget_);
  // A quarter of the descriptor limit at most, whatever the configuration.
  rlimit limit{};
  const std::size_t quarter = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                                  ? static_cast<std::size_t>(limit.rlim_cur / 4)
                                  : config_.maxFiles;
  maxFiles_ = std::min(config_.maxFiles, quarter);
}

HotBodyStore::~HotBodyStore() = default;

HotBodyStore::Shard& HotBodyStore::shardOf(std::uint64_t storeId) const noexcept {
  // Store ids are random; mix anyway so sequential ids (tests) spread too.
  const std::uint64_t h = (storeId ^ (storeId >> 31)) * 0x9e3779b97f4a7c15ull;
  return shards_[(h >> 40) % config_.shards];
}

Result<std::unique_ptr<BodyStore::Writer>> HotBodyStore::beginWrite(std::uint64_t storeId) {
  return inner_.beginWrite(storeId);
}

Result<std::unique_ptr<BodyStore::Reader>> HotBodyStore::openRead(std::uint64_t storeId) {
  Shard& shard = shardOf(storeId);
  if (maxObject_ > 0) {
    std::shared_lock lock(shard.mutex);
    if (auto it = shard.map.find(storeId); it != shard.map.end()) {
      if (!it->second.referenced.load(std::memory_order_relaxed))  // no cache-line write when already set
        it->second.referenced.store(true, std::memory_order_relaxed);
      hits_.fetch_add(1, std::memory_order_relaxed);
      return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(it->second.body));
    }
  }
  auto opened = inner_.openRead(storeId);
  if (!opened || maxObject_ == 0 || opened.value()->sizeBytes() > maxObject_) return opened;

  // Read it whole (outside the lock); a failure is reported exactly as the
  // inner store reports it, and nothing is admitted.
  auto& reader = *opened.value();
  auto body = std::make_shared<HotBody>();
  body->size = reader.sizeBytes();
  body->data.resize(static_cast<std::size_t>(body->size));
  std::size_t filled = 0;
  while (filled < body->data.size()) {
    auto got = reader.read(filled, std::span<char>(body->data.data() + filled, body->data.size() - filled));
    if (!got) return got.status();
    if (got.value() == 0) return Result<std::unique_ptr<Reader>>::error("store: body shorter than recorded");
    filled += got.value();
  }
  if (config_.fileMinBytes > 0 && body->size >= config_.fileMinBytes) moveToFile(*body, openFiles_, maxFiles_, config_.fileDir);
  Body shared = std::move(body);
  {
    std::lock_guard lock(shard.mutex);
    auto [it, inserted] = shard.map.try_emplace(storeId, shared);
    if (inserted) {
      shard.bytes += shared->size;
      fills_.fetch_add(1, std::memory_order_relaxed);
      // CLOCK: second chance for referenced bodies. The new body is not in the
      // queue yet, so it is never the victim (alone it fits the budget).
      while (shard.bytes > shardBudget_ && !shard.clock.empty()) {
        const std::uint64_t victim = shard.clock.front();
        shard.clock.pop_front();
        auto v = shard.map.find(victim);
        if (v == shard.map.end()) continue;  // erased earlier
        if (v->second.referenced.load(std::memory_order_relaxed)) {
          v->second.referenced.store(false, std::memory_order_relaxed);
          shard.clock.push_back(victim);
          continue;
        }
        shard.bytes -= v->second.body->size;
        shard.map.erase(v);
        evictions_.fetch_add(1, std::memory_order_relaxed);
      }
      // Queued after the sweep, so re-queued referenced bodies cannot push
      // the new one to the front and evict it at once.
      shard.clock.push_back(storeId);
    }
  }
  return std::unique_ptr<Reader>(std::make_unique<MemoryReader>(std::move(shared)));
}

Status HotBodyStore::erase(std::uint64_t storeId) {
  {
    Shard& shard = shardOf(storeId);
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.map.find(storeId); it != shard.map.end()) {
      shard.bytes -= it->second.body->size;
      shard.map.erase(it);
      // The id stays in `clock` until it reaches the front; compact when
      // stale ids dominate so the deque stays O(resident).
      if (shard.clock.size() > 2 * shard.map.size() + 64) {
        std::erase_if(shard.clock, [&](std::uint64_t id) { return !shard.map.contains(id); });
      }
    }
  }
  return inner_.erase(storeId);
}

Status HotBodyStore::updateMetadata(std::uint64_t storeId, std::string_view metadata) {
  return inner_.updateMetadata(storeId, metadata);  // the body (and so the hot copy) is unchanged
}

Status HotBodyStore::forEach(const ScanFn& fn) {
  return inner_.forEach(fn);
}

HotTierStats HotBodyStore::stats() const {
  HotTierStats s;
  s.hits = hits_.load(std::memory_order_relaxed);
  s.fills = fills_.load(std::memory_order_relaxed);
  s.evictions = evictions_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < config_.shards; ++i) {
    std::shared_lock lock(shards_[i].mutex);
    s.bytes += shards_[i].bytes;
    s.objects += shards_[i].map.size();
  }
  return s;
}

}  // namespace edgecache::proxy
