#pragma once
// A one-line progress display on stderr, only when stderr is a terminal (so
// logs and CI output stay clean). Thread-safe to call from grid workers.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace edgecache::bench {

class Progress {
 public:
  Progress(std::string label, std::uint64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Redraws at most ~10 times a second.
  void update(std::uint64_t done);
  // Clears the line.
  void finish();

 private:
  std::string label_;
  std::uint64_t total_;
  bool enabled_;
  bool finished_ = false;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_{};
};

}  // namespace edgecache::bench
