// The real crash test: a child process writes objects in a loop with
// syncWrites = true and logs each commit to a pipe after commit() returns;
// the parent SIGKILLs it at a random moment, reopens the store and checks
// that every logged commit survived and that every visible object is whole.
//
// The child is fork()ed and then exec()s store_crash_child. A fork() without
// exec() would inherit this process's RocksDB state: the default Env's
// background thread pool believes its threads exist, but only the forking
// thread survives fork(), so the child's flushes could never run (and a
// mutex held by a background thread at fork time would never be released).

#include <chrono>
#include <map>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <poll.h>

#include <doctest/doctest.h>

#include "store/object_store.h"
#include "tests/store/body_pattern.h"
#include "tests/store/store_test_util.h"
#include "tests/test_support.h"

using namespace edgecache::store;
namespace st = edgecache::store::testing;

namespace {

// Reads the child's log until `deadline`, then SIGKILLs it and drains the
// rest. Returns the log text.
std::string runAndKill(pid_t pid, int readFd, std::chrono::milliseconds runFor) {
  std::string log;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + runFor;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{readFd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) > 0) {
      const auto n = ::read(readFd, buf, sizeof buf);
      if (n > 0) log.append(buf, static_cast<std::size_t>(n));
      if (n == 0) break;  // child exited early: the status check reports it
    }
  }
  ::kill(pid, SIGKILL);
  const int status = st::waitChild(pid);
  CHECK_MESSAGE((WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL), "child ended on its own, status " << status);
  for (;;) {  // lines written before the kill
    const auto n = ::read(readFd, buf, sizeof buf);
    if (n <= 0) break;
    log.append(buf, static_cast<std::size_t>(n));
  }
  return log;
}

}  // namespace

TEST_CASE("store: committed objects survive SIGKILL; visible objects are always whole" * doctest::timeout(300)) {
  constexpr std::uint32_t kChunk = 2048;
  constexpr int kRounds = 6;
  const auto dir = edgecache::testing::tempDir("store-crash");
  std::mt19937_64 rng(42);
  std::map<std::string, std::uint64_t> lastLogged;  // key -> highest version whose commit returned
  std::uint64_t totalCommits = 0, totalOrphanWrites = 0;

  for (int round = 1; round <= kRounds; ++round) {
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    const pid_t pid = st::spawnChild({"loop", dir.string(), "3", std::to_string(round), std::to_string(kChunk)}, fds[1]);
    ::close(fds[1]);
    const auto runFor = std::chrono::milliseconds(150 + rng() % 450);
    const std::string log = runAndKill(pid, fds[0], runFor);
    ::close(fds[0]);

    std::istringstream lines(log);
    std::string tag, key;
    std::uint64_t version = 0;
    std::uint64_t commits = 0;
    while (lines >> tag >> key >> version) {
      REQUIRE(tag == "C");
      auto& v = lastLogged[key];
      v = std::max(v, version);
      ++commits;
    }
    totalCommits += commits;

    auto opened = ObjectStore::open(StoreOptions{.path = dir.string(), .chunkBytes = kChunk});
    REQUIRE_MESSAGE(opened.isOk(), opened.message());
    auto store = std::move(opened).value();
    totalOrphanWrites += store->openReport().orphanWrites;
    // A kill never leaves a torn record: open() found none to delete (it
    // would, silently for the checks below, since forEach no longer sees it).
    CHECK(store->openReport().corruptRecords == 0);
    CHECK(store->openReport().repairError.empty());

    // Every commit that returned before the kill is there (possibly
    // overtaken by a later commit that had no time to log).
    for (const auto& [k, v] : lastLogged) {
      auto info = store->lookup(k);
      REQUIRE(info.isOk());
      REQUIRE_MESSAGE(info.value().has_value(), "round " << round << ": lost " << k);
      const auto visible = st::parseVersionMetadata(info.value()->metadata);
      REQUIRE(visible.has_value());
      CHECK_MESSAGE(*visible >= v, "round " << round << ": " << k << " went back from version " << v << " to " << *visible);
    }
    // Every visible object is exactly the body its version implies, and
    // passes its chunk and whole-body checksums.
    std::uint64_t checked = 0;
    std::vector<std::pair<std::string, ObjectInfo>> all;
    auto counts = store->forEach([&](std::string_view k, const ObjectInfo& info) {
      all.emplace_back(std::string(k), info);
      return true;
    });
    REQUIRE(counts.isOk());
    CHECK(counts.value().corruptRecords == 0);
    for (const auto& [k, info] : all) {
      auto reader = store->openRead(k);
      REQUIRE(reader.isOk());
      REQUIRE(reader.value().has_value());
      auto body = reader.value()->readAll();
      REQUIRE_MESSAGE(body.isOk(), body.message());
      const auto v = st::parseVersionMetadata(info.metadata);
      REQUIRE(v.has_value());
      CHECK(body.value() == st::patternBody(k, *v, 20 * kChunk));
      ++checked;
    }
    MESSAGE("round " << round << ": ran " << runFor.count() << " ms, " << commits << " logged commits, "
                     << store->openReport().orphanWrites << " orphan writes (" << store->openReport().orphanChunks
                     << " chunks) collected, " << checked << " objects verified");
    store.reset();
    st::checkNoOrphans(dir.string());
  }
  CHECK(totalCommits > 0);
  MESSAGE("total: " << totalCommits << " logged commits, " << totalOrphanWrites << " orphan writes collected");
}
