#pragma once
// Small fixtures for the traces tests: files written into a temp directory.

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "cachelib/request.h"

namespace edgecache::traces::testutil {

inline std::string writeFile(const std::filesystem::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

// One oracleGeneral record, little-endian.
inline std::string oracleRecord(std::uint32_t time, std::uint64_t id, std::uint32_t size, std::int64_t next) {
  std::string r(24, '\0');
  for (int i = 0; i < 4; ++i) r[i] = static_cast<char>(time >> (8 * i));
  for (int i = 0; i < 8; ++i) r[4 + i] = static_cast<char>(id >> (8 * i));
  for (int i = 0; i < 4; ++i) r[12 + i] = static_cast<char>(size >> (8 * i));
  for (int i = 0; i < 8; ++i) r[16 + i] = static_cast<char>(static_cast<std::uint64_t>(next) >> (8 * i));
  return r;
}

inline std::string u32be(std::uint32_t key) {
  return {static_cast<char>(key >> 24), static_cast<char>(key >> 16), static_cast<char>(key >> 8),
          static_cast<char>(key)};
}

inline bool sameRequests(const std::vector<cachelib::Request>& a, const std::vector<cachelib::Request>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].timeSeconds != b[i].timeSeconds || a[i].key != b[i].key || a[i].sizeBytes != b[i].sizeBytes ||
        a[i].nextAccessIndex != b[i].nextAccessIndex) {
      return false;
    }
  }
  return true;
}

inline bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

}  // namespace edgecache::traces::testutil
