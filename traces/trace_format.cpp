#include "traces/trace_format.h"

#include <array>
#include <cctype>
#include <string>

namespace edgecache::traces {
namespace {

struct FormatName {
  TraceFormat format;
  std::string_view name;
};

constexpr std::array<FormatName, 6> kFormatNames = {{
    {TraceFormat::kOracleGeneral, "oracleGeneral"},
    {TraceFormat::kCsv, "csv"},
    {TraceFormat::kTimeIdSize, "tr"},
    {TraceFormat::kTxt, "txt"},
    {TraceFormat::kU32be, "u32be"},
    {TraceFormat::kTencent, "tencent"},
}};

constexpr std::string_view kFormatList = "oracleGeneral, csv, tr, txt, u32be, tencent";

std::string toLower(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string_view formatName(TraceFormat format) noexcept {
  for (const auto& entry : kFormatNames) {
    if (entry.format == format) return entry.name;
  }
  return "unknown";
}

cachelib::Result<TraceFormat> parseFormat(std::string_view name) {
  const std::string lower = toLower(name);
  for (const auto& entry : kFormatNames) {
    if (lower == toLower(entry.name)) return entry.format;
  }
  return cachelib::Result<TraceFormat>::error("unknown trace format '" + std::string(name) +
                                              "'; expected one of: " + std::string(kFormatList));
}

cachelib::Result<TraceFormat> detectFormat(std::string_view path) {
  // Only the file name decides: directories may contain dots or "tencent".
  const auto slash = path.find_last_of('/');
  std::string name = toLower(slash == std::string_view::npos ? path : path.substr(slash + 1));
  // Compression is orthogonal to the format: readers decompress any *.zst.
  if (endsWith(name, ".zst")) name.resize(name.size() - 4);

  if (endsWith(name, ".oraclegeneral.bin") || endsWith(name, ".oraclegeneral")) {
    return TraceFormat::kOracleGeneral;
  }
  if (endsWith(name, ".csv")) return TraceFormat::kCsv;
  if (endsWith(name, ".tr")) return TraceFormat::kTimeIdSize;
  if (endsWith(name, ".u32be")) return TraceFormat::kU32be;
  if (endsWith(name, ".txt")) {
    return name.find("tencent") != std::string::npos ? TraceFormat::kTencent : TraceFormat::kTxt;
  }
  return cachelib::Result<TraceFormat>::error(std::string(path) +
                                              ": cannot tell the trace format from the file name; pass "
                                              "--format (" + std::string(kFormatList) + ")");
}

}  // namespace edgecache::traces
