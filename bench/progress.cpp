#include "bench/progress.h"

#include <cstdio>
#include <unistd.h>

namespace edgecache::bench {

Progress::Progress(std::string label, std::uint64_t total)
    : label_(std::move(label)), total_(total), enabled_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(std::uint64_t done) {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (finished_ || now - lastDraw_ < std::chrono::milliseconds(100)) return;
  lastDraw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double pct = total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 0.0;
  const double eta = done ? elapsed * (static_cast<double>(total_) - static_cast<double>(done)) / static_cast<double>(done) : 0.0;
  std::fprintf(stderr, "\r%s: %5.1f%% (%llu/%llu) %.1fs elapsed, ~%.0fs left   ", label_.c_str(), pct,
               static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_), elapsed, eta);
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_) return;
  std::lock_guard lock(mutex_);
  if (finished_) return;
  finished_ = true;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
}

}  // namespace edgecache::bench
