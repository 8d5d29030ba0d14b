// AccessLog and PerThreadBuffer: per-thread shards lose nothing, keep each
// thread's order, and stay bounded.

#include "proxy/control_loop.h"
#include "proxy/per_thread_buffer.h"

#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

using namespace edgecache::proxy;

TEST_CASE("access log: records from several threads all drain, each thread's in order") {
  AccessLog log;
  constexpr int kThreads = 4, kRecords = 20000;
  std::vector<Access> drained, batch;
  std::atomic<bool> done{false};
  std::thread consumer([&] {  // drains while the threads record, like the control loop
    while (!done.load()) {
      log.drain(batch);
      drained.insert(drained.end(), batch.begin(), batch.end());
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] {
      for (int i = 0; i < kRecords; ++i) log.record(Access{std::uint64_t(t), std::uint64_t(i), i % 2 == 0});
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  consumer.join();
  log.drain(batch);
  drained.insert(drained.end(), batch.begin(), batch.end());
  REQUIRE(drained.size() == std::size_t(kThreads) * kRecords);
  CHECK(log.dropped() == 0);
  std::map<std::uint64_t, std::uint64_t> next;  // thread -> next expected sequence number
  bool ordered = true;
  for (const Access& a : drained) ordered = ordered && a.sizeBytes == next[a.key]++;
  CHECK(ordered);
}

TEST_CASE("per-thread buffer: a full shard refuses and says so") {
  PerThreadBuffer<int> buffer;
  CHECK(buffer.push(1, 2).stored);
  const auto second = buffer.push(2, 2);
  CHECK(second.stored);
  CHECK(second.pending == 2);
  const auto third = buffer.push(3, 2);
  CHECK_FALSE(third.stored);
  CHECK(third.pending == 2);
  std::vector<int> out{0};
  buffer.drainInto(out);
  CHECK(out == std::vector<int>{0, 1, 2});  // appended, in order
  CHECK(buffer.push(4, 2).pending == 1);    // drained: room again
}
