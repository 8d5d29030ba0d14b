#include "traces/trace_writer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include <zstd.h>

#include "traces/trace_reader.h"

namespace edgecache::traces {
namespace {

constexpr std::size_t kRecordBytes = 24;
constexpr std::size_t kBlockRecords = (std::size_t{1} << 20) / kRecordBytes;
constexpr int kZstdLevel = 3;  // zstd's default: ~5x on oracleGeneral at hundreds of MB/s

void storeLe32(unsigned char* p, std::uint32_t v) noexcept {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void storeLe64(unsigned char* p, std::uint64_t v) noexcept {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

bool endsWith(const std::string& text, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

cachelib::Status ioError(const std::string& path, const char* what, int err) {
  return cachelib::Status::error(path + ": " + what + ": " + std::strerror(err));
}

// Checks every request before anything is written, so a refused trace leaves
// no half-written file behind.
cachelib::Status validate(const std::string& path, const std::vector<cachelib::Request>& requests) {
  constexpr double kMaxTime = static_cast<double>(std::numeric_limits<std::uint32_t>::max());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    if (!(r.timeSeconds >= 0.0 && r.timeSeconds <= kMaxTime)) {  // also catches NaN
      return cachelib::Status::error(path + ": request index " + std::to_string(i) + ": field 'time': " +
                                     std::to_string(r.timeSeconds) +
                                     " s does not fit oracleGeneral's uint32 seconds");
    }
    if (r.sizeBytes > std::numeric_limits<std::uint32_t>::max()) {
      return cachelib::Status::error(path + ": request index " + std::to_string(i) + ": field 'size': " +
                                     std::to_string(r.sizeBytes) +
                                     " bytes does not fit oracleGeneral's uint32 obj_size");
    }
  }
  return cachelib::Status::ok();
}

struct FileCloser {
  void operator()(std::FILE* f) const noexcept { std::fclose(f); }
};
struct CCtxFreer {
  void operator()(ZSTD_CCtx* c) const noexcept { ZSTD_freeCCtx(c); }
};

class RecordOutput {
 public:
  RecordOutput(std::string path, std::FILE* file, bool compress) : path_(std::move(path)), file_(file) {
    if (compress) {
      cctx_.reset(ZSTD_createCCtx());
      compressed_.resize(ZSTD_CStreamOutSize());
    }
  }

  cachelib::Status init() {
    if (compressed_.empty()) return cachelib::Status::ok();
    if (!cctx_) return cachelib::Status::error(path_ + ": zstd: cannot create compression context");
    const std::size_t rc = ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, kZstdLevel);
    if (ZSTD_isError(rc)) return zstdError(rc);
    return cachelib::Status::ok();
  }

  cachelib::Status write(const unsigned char* data, std::size_t size, bool last) {
    if (!cctx_) return writeRaw(data, size);
    ZSTD_inBuffer in{data, size, 0};
    const ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    for (;;) {
      ZSTD_outBuffer out{compressed_.data(), compressed_.size(), 0};
      const std::size_t remaining = ZSTD_compressStream2(cctx_.get(), &out, &in, mode);
      if (ZSTD_isError(remaining)) return zstdError(remaining);
      if (auto status = writeRaw(compressed_.data(), out.pos); !status) return status;
      const bool done = last ? remaining == 0 : in.pos == in.size;
      if (done) return cachelib::Status::ok();
    }
  }

 private:
  cachelib::Status writeRaw(const void* data, std::size_t size) {
    if (size != 0 && std::fwrite(data, 1, size, file_) != size) return ioError(path_, "write failed", errno);
    return cachelib::Status::ok();
  }
  cachelib::Status zstdError(std::size_t code) const {
    return cachelib::Status::error(path_ + ": zstd: " + ZSTD_getErrorName(code));
  }

  std::string path_;
  std::FILE* file_;
  std::unique_ptr<ZSTD_CCtx, CCtxFreer> cctx_;
  std::vector<unsigned char> compressed_;
};

cachelib::Status writeRecords(const std::string& path, const std::string& tmpPath,
                              const std::vector<cachelib::Request>& requests,
                              const std::vector<cachelib::Request>& withNext) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(tmpPath.c_str(), "wb"));
  if (!file) return ioError(tmpPath, "cannot create", errno);
  RecordOutput output(path, file.get(), endsWith(path, ".zst"));
  if (auto status = output.init(); !status) return status;

  std::vector<unsigned char> block(kBlockRecords * kRecordBytes);
  std::size_t used = 0;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    unsigned char* p = block.data() + used;
    // Whole seconds, as libCacheSim stores them (validate() bounded the range).
    storeLe32(p, static_cast<std::uint32_t>(requests[i].timeSeconds));
    storeLe64(p + 4, requests[i].key);
    storeLe32(p + 12, static_cast<std::uint32_t>(requests[i].sizeBytes));
    storeLe64(p + 16, static_cast<std::uint64_t>(withNext[i].nextAccessIndex));
    used += kRecordBytes;
    if (used == block.size()) {
      if (auto status = output.write(block.data(), used, false); !status) return status;
      used = 0;
    }
  }
  if (auto status = output.write(block.data(), used, true); !status) return status;
  if (std::fflush(file.get()) != 0) return ioError(tmpPath, "write failed", errno);
  if (std::fclose(file.release()) != 0) return ioError(tmpPath, "close failed", errno);
  return cachelib::Status::ok();
}

}  // namespace

cachelib::Status writeOracleGeneral(const std::string& path, const std::vector<cachelib::Request>& requests) {
  if (auto status = validate(path, requests); !status) return status;
  // The caller's indexes may be stale or absent (e.g. after filtering); the
  // file must be self-consistent, so derive them from the requests written.
  std::vector<cachelib::Request> withNext = requests;
  computeNextAccess(withNext);

  // Write next to the target and rename: readers never see a partial trace.
  const std::string tmpPath = path + ".partial";
  if (auto status = writeRecords(path, tmpPath, requests, withNext); !status) {
    std::remove(tmpPath.c_str());
    return status;
  }
  if (std::rename(tmpPath.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(tmpPath.c_str());
    return ioError(path, "cannot rename finished file into place", err);
  }
  return cachelib::Status::ok();
}

}  // namespace edgecache::traces
