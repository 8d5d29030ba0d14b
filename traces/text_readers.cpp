// Line-oriented formats: libCacheSim-style CSV, "time id size", one key per
// line, and the Tencent photo CDN sample.
#include "traces/format_readers.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "traces/field_parser.h"

namespace edgecache::traces {
namespace {

constexpr std::size_t kBlockBytes = std::size_t{1} << 20;
// A "line" this long means the file is not text; stop before eating memory.
constexpr std::size_t kMaxLineBytes = std::size_t{64} << 20;
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";
constexpr std::string_view kUnsigned = "expected an unsigned integer";
constexpr std::string_view kSeconds = "expected a non-negative number of seconds";

// Calls handle(line, lineNumber) for each non-blank line (1-based numbers
// count blank lines too, so they match an editor's). The '\n' and a trailing
// '\r' are stripped; the last line may lack its '\n'.
template <typename Handle>
cachelib::Status forEachLine(ReadContext& context, Handle&& handle) {
  const std::string& path = context.source.path();
  std::vector<char> buffer(kBlockBytes);
  std::size_t begin = 0;
  std::size_t end = 0;
  std::uint64_t lineNumber = 0;
  bool eof = false;
  while (!eof) {
    if (begin > 0) {
      std::memmove(buffer.data(), buffer.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    if (end == buffer.size()) {  // one line fills the whole buffer
      if (buffer.size() >= kMaxLineBytes) {
        return lineError(path, lineNumber + 1, "line longer than 64 MiB (not a text trace?)");
      }
      buffer.resize(buffer.size() * 2);
    }
    std::size_t got = 0;
    if (auto status = context.source.read(buffer.data() + end, buffer.size() - end, got); !status) return status;
    eof = got < buffer.size() - end;  // read() fills the space unless the data ended
    end += got;
    while (begin < end) {
      const char* start = buffer.data() + begin;
      const auto* newline = static_cast<const char*>(std::memchr(start, '\n', end - begin));
      if (newline == nullptr && !eof) break;  // partial line: wait for more bytes
      const std::size_t length = newline != nullptr ? static_cast<std::size_t>(newline - start) : end - begin;
      begin += length + (newline != nullptr ? 1 : 0);
      std::string_view line(start, length);
      ++lineNumber;
      if (lineNumber == 1 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom) line.remove_prefix(kUtf8Bom.size());
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (trimBlanks(line).empty()) continue;
      if (auto status = handle(line, lineNumber); !status) return status;
      if (context.sink.full()) return cachelib::Status::ok();
    }
    context.reportProgress();
  }
  return cachelib::Status::ok();
}

// Splits on runs of blanks into at most N fields; returns how many were found
// and sets `extra` to the first field beyond N (empty if none).
template <std::size_t N>
std::size_t splitBlanks(std::string_view line, std::array<std::string_view, N>& fields, std::string_view& extra) {
  std::size_t count = 0;
  extra = {};
  std::size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    if (pos == line.size()) break;
    std::size_t stop = pos;
    while (stop < line.size() && line[stop] != ' ' && line[stop] != '\t') ++stop;
    const std::string_view field = line.substr(pos, stop - pos);
    if (count == N) {
      extra = field;
      break;
    }
    fields[count++] = field;
    pos = stop;
  }
  return count;
}

template <std::size_t N>
cachelib::Status fieldCountError(const std::string& path, std::uint64_t line, const std::array<std::string_view, N>& names,
                                 std::size_t found, std::string_view extra) {
  std::string layout;
  for (const auto name : names) {
    if (!layout.empty()) layout += ' ';
    layout += name;
  }
  if (found < N) {
    return lineError(path, line, "field '" + std::string(names[found]) + "': missing, line has " +
                                     std::to_string(found) + " of " + std::to_string(N) + " fields (" + layout + ")");
  }
  return lineError(path, line, "unexpected extra field " + std::to_string(N + 1) + " '" + printable(extra) +
                                   "' (expected " + std::to_string(N) + " fields: " + layout + ")");
}

// ---------------------------------------------------------------- time id size

cachelib::Status parseTimeIdSizeLine(const std::string& path, std::string_view line, std::uint64_t lineNumber,
                                     cachelib::Request& request) {
  static constexpr std::array<std::string_view, 3> kNames = {"time", "id", "size"};
  std::array<std::string_view, 3> fields;
  std::string_view extra;
  const std::size_t found = splitBlanks(line, fields, extra);
  if (found != kNames.size() || !extra.empty()) return fieldCountError(path, lineNumber, kNames, found, extra);
  if (auto o = parseSeconds(fields[0], request.timeSeconds); o != ParseOutcome::kOk) {
    return numberError(path, lineNumber, "time", o, fields[0], kSeconds);
  }
  if (auto o = parseUnsigned(fields[1], request.key); o != ParseOutcome::kOk) {
    return numberError(path, lineNumber, "id", o, fields[1], kUnsigned);
  }
  if (auto o = parseUnsigned(fields[2], request.sizeBytes); o != ParseOutcome::kOk) {
    return numberError(path, lineNumber, "size", o, fields[2], kUnsigned);
  }
  return cachelib::Status::ok();
}

// ---------------------------------------------------------------- Tencent

bool allDigits(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool allHex(std::string_view text) noexcept {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

int digitsValue(std::string_view text) noexcept {
  int value = 0;
  for (char c : text) value = value * 10 + (c - '0');
  return value;
}

// "YYYYMMDDHHMMSS" (UTC) -> seconds since the epoch; false when not a valid time.
bool parseTencentTimestamp(std::string_view text, double& seconds) noexcept {
  if (text.size() != 14 || !allDigits(text)) return false;
  const int year = digitsValue(text.substr(0, 4));
  const int month = digitsValue(text.substr(4, 2));
  const int day = digitsValue(text.substr(6, 2));
  const int hour = digitsValue(text.substr(8, 2));
  const int minute = digitsValue(text.substr(10, 2));
  const int second = digitsValue(text.substr(12, 2));
  static constexpr std::array<int, 12> kDays = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > kDays[static_cast<std::size_t>(month - 1)] ||
      hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = ::timegm(&tm);
  if (t == static_cast<std::time_t>(-1) || tm.tm_mday != day) return false;  // e.g. 30 February normalised away
  seconds = static_cast<double>(t);
  return true;
}

class TencentParser {
 public:
  explicit TencentParser(const std::string& path) : path_(path) {}

  cachelib::Status parse(std::string_view line, std::uint64_t lineNumber, cachelib::Request& request) {
    static constexpr std::array<std::string_view, 8> kNames = {"timestamp", "photo_id", "fmt",      "size_cat",
                                                               "bytes",     "cache_hit", "terminal", "resp_ms"};
    std::array<std::string_view, 8> f;
    std::string_view extra;
    const std::size_t found = splitBlanks(line, f, extra);
    if (found != kNames.size() || !extra.empty()) return fieldCountError(path_, lineNumber, kNames, found, extra);

    // Timestamps repeat for ~1000 lines (one-second resolution): convert once.
    if (f[0] != lastStamp_) {
      if (!parseTencentTimestamp(f[0], lastSeconds_)) {
        lastStamp_.clear();
        return fieldError(path_, lineNumber, "timestamp", "expected a UTC time YYYYMMDDHHMMSS", f[0]);
      }
      lastStamp_.assign(f[0]);
    }
    request.timeSeconds = lastSeconds_;
    if (f[1].size() != 40 || !allHex(f[1])) {
      return fieldError(path_, lineNumber, "photo_id", "expected 40 hex digits", f[1]);
    }
    if (!allDigits(f[2])) return fieldError(path_, lineNumber, "fmt", "expected a decimal format code", f[2]);
    if (auto o = parseUnsigned(f[4], request.sizeBytes); o != ParseOutcome::kOk) {
      return numberError(path_, lineNumber, "bytes", o, f[4], kUnsigned);
    }
    if (f[5] != "0" && f[5] != "1") return fieldError(path_, lineNumber, "cache_hit", "expected 0 or 1", f[5]);
    if (f[6] != "PHONE" && f[6] != "PC") return fieldError(path_, lineNumber, "terminal", "expected PHONE or PC", f[6]);
    std::uint64_t responseMs = 0;
    if (auto o = parseUnsigned(f[7], responseMs); o != ParseOutcome::kOk) {
      return numberError(path_, lineNumber, "resp_ms", o, f[7], kUnsigned);
    }
    // One object = one photo in one format at one size class (the README's key).
    keyBytes_.assign(f[1]);
    keyBytes_.append(f[2]);
    keyBytes_.append(f[3]);
    request.key = hashKey(keyBytes_);
    return cachelib::Status::ok();
  }

 private:
  const std::string& path_;
  std::string lastStamp_;
  double lastSeconds_ = 0.0;
  std::string keyBytes_;
};

// ---------------------------------------------------------------- CSV

class CsvParser {
 public:
  CsvParser(const std::string& path, const CsvOptions& options) : path_(path), options_(options) {}

  cachelib::Status validateOptions() const {
    const auto bad = [&](const std::string& what) {
      return cachelib::Status::error(path_ + ": csv options: " + what);
    };
    constexpr int kMaxColumn = 4096;
    if (options_.keyColumn < 1 || options_.keyColumn > kMaxColumn) {
      return bad("keyColumn must be in 1.." + std::to_string(kMaxColumn) + ", got " + std::to_string(options_.keyColumn));
    }
    if (options_.timeColumn < 0 || options_.timeColumn > kMaxColumn) {
      return bad("timeColumn must be in 0.." + std::to_string(kMaxColumn) + ", got " + std::to_string(options_.timeColumn));
    }
    if (options_.sizeColumn < 0 || options_.sizeColumn > kMaxColumn) {
      return bad("sizeColumn must be in 0.." + std::to_string(kMaxColumn) + ", got " + std::to_string(options_.sizeColumn));
    }
    if (options_.header < -1 || options_.header > 1) {
      return bad("header must be -1 (auto), 0 or 1, got " + std::to_string(options_.header));
    }
    const char d = options_.delimiter;
    if (d == '\n' || d == '\r' || d == '"' || d == '\0') return bad("delimiter must be a visible character or tab");
    return cachelib::Status::ok();
  }

  // Sets `skip` for a header line; otherwise decodes the request.
  cachelib::Status parse(std::string_view line, std::uint64_t lineNumber, cachelib::Request& request, bool& skip) {
    skip = false;
    std::string_view time, key, size;
    const int maxColumn = std::max({options_.timeColumn, options_.keyColumn, options_.sizeColumn});
    int column = 0;
    std::size_t pos = 0;
    for (;;) {
      const std::size_t stop = line.find(options_.delimiter, pos);
      const std::string_view field = clean(line.substr(pos, stop == std::string_view::npos ? line.size() - pos : stop - pos));
      ++column;
      if (column == options_.timeColumn) time = field;
      if (column == options_.keyColumn) key = field;
      if (column == options_.sizeColumn) size = field;
      if (stop == std::string_view::npos || column == maxColumn) break;
      pos = stop + 1;
    }
    const bool firstLine = !seenFirstLine_;
    seenFirstLine_ = true;
    if (firstLine && options_.header == 1) {
      skip = true;
      return cachelib::Status::ok();
    }
    if (column < maxColumn) {
      const int missing = options_.keyColumn > column ? options_.keyColumn
                        : options_.timeColumn > column ? options_.timeColumn : options_.sizeColumn;
      const char* name = missing == options_.keyColumn ? "key" : missing == options_.timeColumn ? "time" : "size";
      return lineError(path_, lineNumber, "field '" + std::string(name) + " (column " + std::to_string(missing) +
                                              ")': missing, line has " + std::to_string(column) + " columns");
    }
    if (firstLine && options_.header == -1 && looksLikeHeader(time, key, size)) {
      skip = true;
      return cachelib::Status::ok();
    }

    if (options_.timeColumn > 0) {
      if (auto o = parseSeconds(time, request.timeSeconds); o != ParseOutcome::kOk) {
        return numberError(path_, lineNumber, label("time", options_.timeColumn), o, time, kSeconds);
      }
    }
    if (auto o = parseUnsigned(key, request.key); o != ParseOutcome::kOk) {
      if (!options_.hashKeys || key.empty()) {
        return numberError(path_, lineNumber, label("key", options_.keyColumn), o, key,
                           key.empty() ? "expected a key" : "expected an unsigned integer (hashKeys is off)");
      }
      request.key = hashKey(key);
    }
    if (options_.sizeColumn > 0) {
      if (auto o = parseUnsigned(size, request.sizeBytes); o != ParseOutcome::kOk) {
        return numberError(path_, lineNumber, label("size", options_.sizeColumn), o, size, kUnsigned);
      }
    } else {
      request.sizeBytes = 1;
    }
    return cachelib::Status::ok();
  }

 private:
  static std::string_view clean(std::string_view field) {
    field = trimBlanks(field);
    if (field.size() >= 2 && field.front() == '"' && field.back() == '"') field = field.substr(1, field.size() - 2);
    return field;
  }

  // A header names its columns: the key is not a number, and neither is any
  // time or size field that is configured (string keys alone prove nothing).
  bool looksLikeHeader(std::string_view time, std::string_view key, std::string_view size) const {
    std::uint64_t u = 0;
    double d = 0;
    if (parseUnsigned(key, u) == ParseOutcome::kOk) return false;
    if (options_.timeColumn > 0 && parseSeconds(time, d) == ParseOutcome::kOk) return false;
    if (options_.sizeColumn > 0 && parseUnsigned(size, u) == ParseOutcome::kOk) return false;
    return true;
  }

  static std::string label(const char* name, int column) {
    return std::string(name) + " (column " + std::to_string(column) + ")";
  }

  const std::string& path_;
  const CsvOptions& options_;
  bool seenFirstLine_ = false;
};

}  // namespace

cachelib::Status readTimeIdSize(ReadContext& context) {
  const std::string& path = context.source.path();
  return forEachLine(context, [&](std::string_view line, std::uint64_t lineNumber) {
    cachelib::Request request;
    if (auto status = parseTimeIdSizeLine(path, line, lineNumber, request); !status) return status;
    context.sink.add(request);
    return cachelib::Status::ok();
  });
}

cachelib::Status readTxt(ReadContext& context) {
  return forEachLine(context, [&](std::string_view line, std::uint64_t) {
    cachelib::Request request;
    request.key = keyOf(trimBlanks(line));
    request.sizeBytes = 1;
    context.sink.add(request);
    return cachelib::Status::ok();
  });
}

cachelib::Status readTencent(ReadContext& context) {
  TencentParser parser(context.source.path());
  return forEachLine(context, [&](std::string_view line, std::uint64_t lineNumber) {
    cachelib::Request request;
    if (auto status = parser.parse(line, lineNumber, request); !status) return status;
    context.sink.add(request);
    return cachelib::Status::ok();
  });
}

cachelib::Status readCsv(ReadContext& context) {
  CsvParser parser(context.source.path(), context.options.csv);
  if (auto status = parser.validateOptions(); !status) return status;
  return forEachLine(context, [&](std::string_view line, std::uint64_t lineNumber) {
    cachelib::Request request;
    bool skip = false;
    if (auto status = parser.parse(line, lineNumber, request, skip); !status) return status;
    if (!skip) context.sink.add(request);
    return cachelib::Status::ok();
  });
}

}  // namespace edgecache::traces
