#pragma once
// Helpers shared by the test executables.

#include <filesystem>
#include <string>

#include <unistd.h>

#include <doctest/doctest.h>

namespace edgecache::testing {

// ../shared/traces relative to the repository root (EDGECACHE_SOURCE_DIR).
inline std::filesystem::path sharedTracesDir() {
  return std::filesystem::path(EDGECACHE_SOURCE_DIR).parent_path() / "shared" / "traces";
}

// Path of a shared trace, or "" (after printing why) when ../shared/traces is
// absent, so the calling test can return early: the only allowed skip.
inline std::string sharedTrace(const std::string& name) {
  const auto p = sharedTracesDir() / name;
  if (!std::filesystem::exists(p)) {
    MESSAGE("SKIPPED: " << p.string() << " not found (../shared/traces is absent)");
    return {};
  }
  return p.string();
}

// A fresh temporary directory for one test.
inline std::filesystem::path tempDir(const std::string& tag) {
  auto dir = std::filesystem::temp_directory_path() / ("edgecache-test-" + tag + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace edgecache::testing
