#pragma once
// Internal to traces/: a file's bytes in big blocks, transparently
// zstd-decompressed when the path ends in ".zst". Readers pull blocks of
// ~1 MiB so a multi-GB trace never has to fit in memory twice.
//
// Not thread-safe; one reader owns one ByteSource. Failures (open, read, corrupt
// or truncated zstd stream) are returned as one-line Status naming the path.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cachelib/status.h"

struct ZSTD_DCtx_s;

namespace edgecache::traces {

class ByteSource {
 public:
  ByteSource() = default;
  ~ByteSource();
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;

  // Opens `path`; a ".zst" suffix selects streaming zstd decompression.
  cachelib::Status open(const std::string& path);

  // Copies up to `capacity` (decompressed) bytes into `dst` and sets `got`;
  // got == 0 means end of data. Fills the whole capacity unless at the end.
  cachelib::Status read(char* dst, std::size_t capacity, std::size_t& got);

  const std::string& path() const noexcept { return path_; }
  bool compressed() const noexcept { return dctx_ != nullptr; }
  // On-disk bytes consumed so far and the file's size (for progress display).
  std::uint64_t fileBytesRead() const noexcept { return fileBytesRead_; }
  std::uint64_t fileBytes() const noexcept { return fileBytes_; }

 private:
  cachelib::Status readRaw(char* dst, std::size_t capacity, std::size_t& got);
  cachelib::Status readZstd(char* dst, std::size_t capacity, std::size_t& got);

  std::string path_;
  std::FILE* file_ = nullptr;
  ZSTD_DCtx_s* dctx_ = nullptr;
  std::vector<char> input_;        // compressed bytes not yet consumed (zstd only)
  std::size_t inputPos_ = 0;
  std::size_t inputEnd_ = 0;
  bool fileEof_ = false;
  std::size_t lastZstdHint_ = 1;   // ZSTD_decompressStream's last return; 0 = frame complete
  std::uint64_t fileBytesRead_ = 0;
  std::uint64_t fileBytes_ = 0;
};

}  // namespace edgecache::traces
