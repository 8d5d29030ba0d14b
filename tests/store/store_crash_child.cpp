// Helper process for store_crash_test.cpp (not a test by itself).
//
//   store_crash_child loop <dir> <logFd> <round> <chunkBytes>
//     Writes objects forever (syncWrites = true) and, after each commit()
//     returns ok, writes "C <key> <version>\n" to logFd. The parent SIGKILLs
//     it at a random moment.
//   store_crash_child abandon <dir> <chunkBytes> <bytes> <key>...
//     Writes <bytes> of a body for each key without committing, then
//     _exit(0)s (no destructors, so nothing is aborted): uncommitted-write
//     leftovers.

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "store/object_store.h"
#include "tests/store/body_pattern.h"

using namespace edgecache::store;

namespace {

std::unique_ptr<ObjectStore> openOrDie(const char* dir, std::uint32_t chunkBytes) {
  StoreOptions options;
  options.path = dir;
  options.chunkBytes = chunkBytes;
  options.syncWrites = true;
  auto store = ObjectStore::open(options);
  if (!store) {
    std::fprintf(stderr, "store_crash_child: %s\n", store.message().c_str());
    std::_Exit(2);
  }
  return std::move(store).value();
}

// One object: a fresh version of a random key.
struct Job {
  std::string key;
  std::uint64_t version = 0;
  std::string body;
  std::size_t pos = 0;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "store_crash_child: %s\n", message.c_str());
  std::_Exit(2);
}

void appendUpTo(ObjectWriter& w, Job& job, std::size_t end, std::mt19937_64& rng, std::uint32_t chunkBytes) {
  while (job.pos < end) {
    const std::size_t n = std::min<std::size_t>(end - job.pos, 1 + rng() % (chunkBytes + chunkBytes / 2));
    if (auto s = w.append(std::string_view(job.body).substr(job.pos, n)); !s) die(s.message());
    job.pos += n;
  }
}

void commitAndLog(ObjectWriter& w, const Job& job, int fd) {
  if (auto s = w.commit(testing::versionMetadata(job.version)); !s) die(s.message());
  char line[128];
  const int len = std::snprintf(line, sizeof line, "C %s %" PRIu64 "\n", job.key.c_str(), job.version);
  if (::write(fd, line, static_cast<std::size_t>(len)) != len) std::_Exit(3);
}

int loop(const char* dir, int fd, std::uint64_t round, std::uint32_t chunkBytes) {
  auto store = openOrDie(dir, chunkBytes);
  std::mt19937_64 rng(round * 7919 + 17);
  std::uint64_t serial = 0;
  auto nextJob = [&](const std::string& avoidKey) {
    Job job;
    // Interleaved writes use different keys, so each key's commits happen in
    // version order.
    do {
      job.key = "obj-" + std::to_string(rng() % 64);
    } while (job.key == avoidKey);
    // Versions grow across rounds, so the parent can demand "at least the
    // last logged version" for every key.
    job.version = (round << 32) | serial++;
    job.body = testing::patternBody(job.key, job.version, 20 * chunkBytes);
    return job;
  };
  for (;;) {
    // Two writes interleaved: A streams half its body, B is written and
    // committed (a synced commit: where most kills land), then A finishes.
    // A kill during B leaves A's flushed chunks as a crash leftover.
    Job a = nextJob({});
    auto wa = store->beginWrite(a.key);
    if (!wa) die(wa.message());
    appendUpTo(*wa, a, a.body.size() / 2, rng, chunkBytes);

    Job b = nextJob(a.key);
    auto wb = store->beginWrite(b.key);
    if (!wb) die(wb.message());
    appendUpTo(*wb, b, b.body.size(), rng, chunkBytes);
    commitAndLog(*wb, b, fd);

    appendUpTo(*wa, a, a.body.size(), rng, chunkBytes);
    if (rng() % 8 == 0) {
      wa->abort();
    } else {
      commitAndLog(*wa, a, fd);
    }
  }
}

int abandon(const char* dir, std::uint32_t chunkBytes, std::uint64_t bytes, char** keys, int keyCount) {
  auto store = openOrDie(dir, chunkBytes);
  std::vector<ObjectWriter> writers;
  for (int i = 0; i < keyCount; ++i) {
    auto writer = store->beginWrite(keys[i]);
    if (!writer) die(writer.message());
    if (auto s = writer->append(testing::patternBody(keys[i], 1, 0, bytes)); !s) die(s.message());
    writers.push_back(std::move(writer).value());
  }
  std::fflush(nullptr);
  std::_Exit(0);  // no destructors: the writes stay uncommitted
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "loop" && argc == 6)
    return loop(argv[2], std::atoi(argv[3]), std::strtoull(argv[4], nullptr, 10),
                static_cast<std::uint32_t>(std::strtoul(argv[5], nullptr, 10)));
  if (mode == "abandon" && argc >= 6)
    return abandon(argv[2], static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10)),
                   std::strtoull(argv[4], nullptr, 10), argv + 5, argc - 5);
  std::fprintf(stderr, "usage: store_crash_child loop <dir> <fd> <round> <chunkBytes> | abandon <dir> <chunkBytes> <bytes> <key>...\n");
  return 64;
}
