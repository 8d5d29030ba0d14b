#include "traces/trace_reader.h"

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "traces/byte_source.h"
#include "traces/format_readers.h"

namespace edgecache::traces {

cachelib::Result<Trace> readTrace(const std::string& path, const ReadOptions& options) {
  TraceFormat format;
  if (options.format) {
    format = *options.format;
  } else {
    auto detected = detectFormat(path);
    if (!detected) return detected.status();
    format = *detected;
  }

  ByteSource source;
  if (auto status = source.open(path); !status) return status;

  Trace trace;
  trace.format = format;
  RequestSink sink(trace.requests, options.skipZeroSize, options.maxRequests);
  ReadContext context{source, options, sink};
  cachelib::Status status = cachelib::Status::ok();
  switch (format) {
    case TraceFormat::kOracleGeneral: status = readOracleGeneral(context); break;
    case TraceFormat::kCsv: status = readCsv(context); break;
    case TraceFormat::kTimeIdSize: status = readTimeIdSize(context); break;
    case TraceFormat::kTxt: status = readTxt(context); break;
    case TraceFormat::kU32be: status = readU32be(context); break;
    case TraceFormat::kTencent: status = readTencent(context); break;
  }
  if (!status) return status;
  context.reportProgress();

  trace.skippedZeroSize = sink.skippedZeroSize();
  trace.hasTimestamps = format != TraceFormat::kTxt && format != TraceFormat::kU32be &&
                        !(format == TraceFormat::kCsv && options.csv.timeColumn == 0);
  trace.unitSize = format == TraceFormat::kTxt || format == TraceFormat::kU32be ||
                   (format == TraceFormat::kCsv && options.csv.sizeColumn == 0);

  if (format == TraceFormat::kOracleGeneral) {
    // The file's indexes count every record of the whole file; once records are
    // dropped (zero size) or the tail is cut (maxRequests) they point at the
    // wrong requests, so derive them again from what we kept.
    if (sink.skippedZeroSize() > 0 || sink.full()) computeNextAccess(trace.requests);
  } else if (options.computeNextAccess) {
    computeNextAccess(trace.requests);
  }
  // Text readers grow the vector by doubling; give back a large unused tail.
  if (trace.requests.capacity() > trace.requests.size() + trace.requests.size() / 4) trace.requests.shrink_to_fit();
  return trace;
}

void computeNextAccess(std::vector<cachelib::Request>& requests) {
  // Walk backwards remembering where each key is seen next: one hash lookup
  // per request.
  absl::flat_hash_map<std::uint64_t, std::int64_t> nextSeen;
  nextSeen.reserve(requests.size() / 2 + 1);
  for (std::size_t i = requests.size(); i-- > 0;) {
    auto [it, inserted] = nextSeen.try_emplace(requests[i].key, static_cast<std::int64_t>(i + 1));
    if (inserted) {
      requests[i].nextAccessIndex = cachelib::kNoNextAccess;
    } else {
      requests[i].nextAccessIndex = it->second;
      it->second = static_cast<std::int64_t>(i + 1);
    }
  }
}

WorkingSet workingSet(const std::vector<cachelib::Request>& requests) {
  absl::flat_hash_set<std::uint64_t> seen;
  seen.reserve(requests.size() / 2 + 1);
  WorkingSet set;
  for (const auto& request : requests) {
    if (seen.insert(request.key).second) {
      ++set.objects;
      set.bytes += request.sizeBytes;
    }
  }
  return set;
}

}  // namespace edgecache::traces
