#pragma once
// Internal to traces/: one reader per format, called by readTrace(). Each
// reader pulls blocks from a ByteSource, decodes them into the RequestSink and
// stops at the first malformed line/record with a one-line error.

#include <cstdint>
#include <vector>

#include "cachelib/request.h"
#include "cachelib/status.h"
#include "traces/byte_source.h"
#include "traces/trace_reader.h"

namespace edgecache::traces {

// Applies ReadOptions::skipZeroSize and maxRequests to decoded requests.
class RequestSink {
 public:
  RequestSink(std::vector<cachelib::Request>& requests, bool skipZeroSize, std::uint64_t maxRequests)
      : requests_(requests), skipZeroSize_(skipZeroSize), maxRequests_(maxRequests) {}

  // Returns true when the reader should stop (maxRequests reached).
  bool add(const cachelib::Request& request) {
    if (request.sizeBytes == 0 && skipZeroSize_) {
      ++skippedZeroSize_;
      return false;
    }
    requests_.push_back(request);
    full_ = maxRequests_ != 0 && requests_.size() >= maxRequests_;
    return full_;
  }
  void reserve(std::uint64_t n) {
    if (maxRequests_ != 0 && n > maxRequests_) n = maxRequests_;
    requests_.reserve(static_cast<std::size_t>(n));
  }
  bool full() const noexcept { return full_; }
  std::uint64_t skippedZeroSize() const noexcept { return skippedZeroSize_; }

 private:
  std::vector<cachelib::Request>& requests_;
  bool skipZeroSize_;
  std::uint64_t maxRequests_;
  std::uint64_t skippedZeroSize_ = 0;
  bool full_ = false;
};

struct ReadContext {
  ByteSource& source;
  const ReadOptions& options;
  RequestSink& sink;

  void reportProgress() const {
    if (options.progress) options.progress(source.fileBytesRead(), source.fileBytes());
  }
};

cachelib::Status readOracleGeneral(ReadContext& context);
cachelib::Status readU32be(ReadContext& context);
cachelib::Status readCsv(ReadContext& context);
cachelib::Status readTimeIdSize(ReadContext& context);
cachelib::Status readTxt(ReadContext& context);
cachelib::Status readTencent(ReadContext& context);

}  // namespace edgecache::traces
