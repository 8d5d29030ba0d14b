// Fuzzes traces::readTrace for every format, plain and zstd-compressed.
//
// Input layout: byte 0 = format (low 3 bits, mod 6) and flags, byte 1 = CSV
// options, the rest is the trace file's content. Flag 0x08 compresses the
// content with zstd and reads it through a ".zst" path (exercising the
// streaming decompressor on valid frames); flag 0x10 then cuts the frame
// short; flag 0x20 reads the raw content as a ".zst" file (corrupt frames).
// readTrace takes only a path, so each input goes through a scratch file.
//
// Checks besides the sanitizers: a failed read has a one-line message naming
// the file, at most 300 bytes besides the path; a successful one has sizes > 0 when zero-size requests are
// skipped and next-access indexes that point forward.
#include <zstd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz/fuzz_support.h"
#include "traces/trace_reader.h"

using namespace edgecache;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t mode = data[0];
  const std::uint8_t csvBits = data[1];
  std::string content(reinterpret_cast<const char*>(data + 2), size - 2);

  static constexpr traces::TraceFormat kFormats[] = {
      traces::TraceFormat::kOracleGeneral, traces::TraceFormat::kCsv, traces::TraceFormat::kTimeIdSize,
      traces::TraceFormat::kTxt,           traces::TraceFormat::kU32be, traces::TraceFormat::kTencent};
  traces::ReadOptions options;
  options.format = kFormats[(mode & 0x07) % 6];
  options.skipZeroSize = (mode & 0x40) == 0;
  options.maxRequests = (mode & 0x80) != 0 ? 3 : 0;
  options.csv.timeColumn = csvBits & 0x03;
  options.csv.keyColumn = ((csvBits >> 2) & 0x03) + 1;
  options.csv.sizeColumn = (csvBits >> 4) & 0x03;
  options.csv.header = static_cast<int>((csvBits >> 6) & 0x01) - ((csvBits & 0x80) != 0 ? 1 : 0);
  options.csv.delimiter = (csvBits & 0x80) != 0 ? '\t' : ',';

  std::string name = "input";
  if ((mode & 0x08) != 0) {
    std::string frame(ZSTD_compressBound(content.size()), '\0');
    const std::size_t n = ZSTD_compress(frame.data(), frame.size(), content.data(), content.size(), 1);
    if (ZSTD_isError(n)) return 0;
    frame.resize(n);
    if ((mode & 0x10) != 0 && n > 1) frame.resize(n / 2);
    content = std::move(frame);
    name += ".zst";
  } else if ((mode & 0x20) != 0) {
    name += ".zst";
  }
  const std::string path = fuzz::writeScratchFile(name, content);

  auto result = traces::readTrace(path, options);
  if (!result) {
    const std::string& message = result.message();
    fuzz::require(!message.empty(), "error message is empty");
    fuzz::require(message.find('\n') == std::string::npos, "error message is not one line");
    fuzz::require(message.find(path) != std::string::npos, "error message does not name the file");
    fuzz::require(message.size() <= path.size() + 300, "error message is too long", message.substr(0, 200));
    return 0;
  }
  const auto& requests = result.value().requests;
  if (options.maxRequests != 0) fuzz::require(requests.size() <= options.maxRequests, "maxRequests exceeded");
  for (std::size_t i = 0; i < requests.size(); ++i) {
    const auto& r = requests[i];
    if (options.skipZeroSize) fuzz::require(r.sizeBytes > 0, "zero-size request kept");
    if (r.nextAccessIndex != cachelib::kNoNextAccess) {
      fuzz::require(r.nextAccessIndex > static_cast<std::int64_t>(i) + 1, "next access does not point forward");
    }
  }
  return 0;
}
