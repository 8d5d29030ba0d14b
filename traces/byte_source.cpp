#include "traces/byte_source.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <zstd.h>

namespace edgecache::traces {
namespace {

bool endsWith(const std::string& text, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

cachelib::Status ioError(const std::string& path, const char* what, int err) {
  return cachelib::Status::error(path + ": " + what + ": " + std::strerror(err));
}

}  // namespace

ByteSource::~ByteSource() {
  if (file_ != nullptr) std::fclose(file_);
  if (dctx_ != nullptr) ZSTD_freeDCtx(dctx_);
}

cachelib::Status ByteSource::open(const std::string& path) {
  path_ = path;
  file_ = std::fopen(path.c_str(), "rb");
  if (file_ == nullptr) return ioError(path, "cannot open", errno);
  struct stat st {};
  if (::fstat(::fileno(file_), &st) != 0) return ioError(path, "cannot stat", errno);
  if (S_ISDIR(st.st_mode)) return cachelib::Status::error(path + ": cannot open: is a directory");
  fileBytes_ = static_cast<std::uint64_t>(st.st_size);
  // We read in large blocks ourselves; stdio's buffer would only add a copy.
  std::setvbuf(file_, nullptr, _IONBF, 0);
  if (endsWith(path, ".zst")) {
    dctx_ = ZSTD_createDCtx();
    if (dctx_ == nullptr) return cachelib::Status::error(path + ": zstd: cannot create decompression context");
    input_.resize(ZSTD_DStreamInSize() * 8);
  }
  return cachelib::Status::ok();
}

cachelib::Status ByteSource::read(char* dst, std::size_t capacity, std::size_t& got) {
  got = 0;
  if (file_ == nullptr) return cachelib::Status::error(path_ + ": read before open");
  return dctx_ != nullptr ? readZstd(dst, capacity, got) : readRaw(dst, capacity, got);
}

cachelib::Status ByteSource::readRaw(char* dst, std::size_t capacity, std::size_t& got) {
  while (got < capacity) {
    const std::size_t n = std::fread(dst + got, 1, capacity - got, file_);
    if (n == 0) {
      if (std::ferror(file_)) return ioError(path_, "read failed", errno);
      break;
    }
    got += n;
    fileBytesRead_ += n;
  }
  return cachelib::Status::ok();
}

cachelib::Status ByteSource::readZstd(char* dst, std::size_t capacity, std::size_t& got) {
  ZSTD_outBuffer out{dst, capacity, 0};
  while (out.pos < out.size) {
    if (inputPos_ == inputEnd_ && !fileEof_) {
      const std::size_t n = std::fread(input_.data(), 1, input_.size(), file_);
      if (n == 0) {
        if (std::ferror(file_)) return ioError(path_, "read failed", errno);
        fileEof_ = true;
      }
      inputPos_ = 0;
      inputEnd_ = n;
      fileBytesRead_ += n;
    }
    const bool inputDone = inputPos_ == inputEnd_ && fileEof_;
    if (inputDone && lastZstdHint_ == 0) break;  // clean end after a complete frame
    ZSTD_inBuffer in{input_.data(), inputEnd_, inputPos_};
    const std::size_t before = out.pos;
    const std::size_t hint = ZSTD_decompressStream(dctx_, &out, &in);
    if (ZSTD_isError(hint)) {
      return cachelib::Status::error(path_ + ": zstd: " + ZSTD_getErrorName(hint) + " (after " +
                                     std::to_string(fileBytesRead_) + " compressed bytes)");
    }
    inputPos_ = in.pos;
    lastZstdHint_ = hint;
    if (inputDone && out.pos == before && hint != 0) {
      return cachelib::Status::error(path_ + ": zstd: stream truncated (" + std::to_string(fileBytes_) +
                                     " compressed bytes end inside a frame)");
    }
  }
  got = out.pos;
  return cachelib::Status::ok();
}

}  // namespace edgecache::traces
