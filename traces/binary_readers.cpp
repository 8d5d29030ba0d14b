// Fixed-size binary records: libCacheSim oracleGeneral and big-endian u32 keys.
#include "traces/format_readers.h"

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

namespace edgecache::traces {
namespace {

constexpr std::size_t kOracleRecordBytes = 24;
constexpr std::size_t kU32RecordBytes = 4;
constexpr std::size_t kBlockBytes = std::size_t{1} << 20;

// Explicit byte assembly: correct on any host endianness, and compilers turn
// it into a single load.
std::uint32_t loadLe32(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[3]} << 24;
}
std::uint64_t loadLe64(const unsigned char* p) noexcept {
  return std::uint64_t{loadLe32(p)} | std::uint64_t{loadLe32(p + 4)} << 32;
}
std::uint32_t loadBe32(const unsigned char* p) noexcept {
  return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 | std::uint32_t{p[3]};
}

std::string recordWhere(const std::string& path, std::uint64_t index, std::size_t recordBytes) {
  return path + ": record " + std::to_string(index) + " (byte offset " + std::to_string(index * recordBytes) + ")";
}

// Calls decode(recordBytes, recordIndex) for each whole record; records are
// numbered from 0 so record N starts at byte N * kRecordBytes.
template <std::size_t kRecordBytes, typename Decode>
cachelib::Status forEachRecord(ReadContext& context, Decode&& decode) {
  std::vector<char> buffer(kBlockBytes / kRecordBytes * kRecordBytes);
  std::uint64_t index = 0;
  for (;;) {
    std::size_t got = 0;
    if (auto status = context.source.read(buffer.data(), buffer.size(), got); !status) return status;
    const auto* bytes = reinterpret_cast<const unsigned char*>(buffer.data());
    const std::size_t whole = got / kRecordBytes;
    for (std::size_t i = 0; i < whole; ++i, ++index) {
      if (auto status = decode(bytes + i * kRecordBytes, index); !status) return status;
      if (context.sink.full()) return cachelib::Status::ok();
    }
    context.reportProgress();
    // ByteSource::read fills the buffer unless the data ended, and the buffer
    // holds whole records, so a remainder can only be a cut-off last record.
    if (got < buffer.size()) {
      if (const std::size_t rest = got % kRecordBytes; rest != 0) {
        return cachelib::Status::error(recordWhere(context.source.path(), index, kRecordBytes) + ": truncated, " +
                                       std::to_string(rest) + " of " + std::to_string(kRecordBytes) + " bytes");
      }
      return cachelib::Status::ok();
    }
  }
}

}  // namespace

cachelib::Status readOracleGeneral(ReadContext& context) {
  if (!context.source.compressed()) context.sink.reserve(context.source.fileBytes() / kOracleRecordBytes);
  const std::string& path = context.source.path();
  return forEachRecord<kOracleRecordBytes>(context, [&](const unsigned char* p, std::uint64_t index) {
    cachelib::Request request;
    request.timeSeconds = static_cast<double>(loadLe32(p));
    request.key = loadLe64(p + 4);
    request.sizeBytes = loadLe32(p + 12);
    std::int64_t next = static_cast<std::int64_t>(loadLe64(p + 16));
    // Some libCacheSim tools write INT64_MAX for "never again"; libCacheSim reads both.
    if (next == std::numeric_limits<std::int64_t>::max()) next = cachelib::kNoNextAccess;
    // 1-based: this record is number index + 1, so a next access must come later.
    if (next != cachelib::kNoNextAccess && (next < 0 || static_cast<std::uint64_t>(next) <= index + 1)) {
      return cachelib::Status::error(recordWhere(path, index, kOracleRecordBytes) +
                                     ": field 'next_access_vtime': expected -1 or the 1-based index of a later "
                                     "record, got " + std::to_string(next));
    }
    request.nextAccessIndex = next;
    context.sink.add(request);
    return cachelib::Status::ok();
  });
}

cachelib::Status readU32be(ReadContext& context) {
  if (!context.source.compressed()) context.sink.reserve(context.source.fileBytes() / kU32RecordBytes);
  return forEachRecord<kU32RecordBytes>(context, [&](const unsigned char* p, std::uint64_t) {
    cachelib::Request request;
    request.key = loadBe32(p);
    request.sizeBytes = 1;
    context.sink.add(request);
    return cachelib::Status::ok();
  });
}

}  // namespace edgecache::traces
