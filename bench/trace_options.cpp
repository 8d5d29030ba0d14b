#include "bench/trace_options.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

#include "bench/progress.h"
#include "cachelib/byte_size.h"
#include "cachelib/policy_registry.h"
#include "traces/synthetic.h"

namespace edgecache::bench {

using cachelib::Result;

void addTraceOptions(CLI::App& cmd, TraceOptions& o) {
  cmd.add_option("--trace", o.trace, "Trace file to replay (default: a seeded synthetic trace, see --synthetic)");
  cmd.add_option("--format", o.format,
                 "Trace format: oracleGeneral, csv, tr, txt, u32be, tencent (default: by file extension)");
  cmd.add_option("--csv-cols", o.csvColumns,
                 "CSV columns, 1-based: time=N,key=N,size=N (0 = absent); default time=2,key=5,size=4");
  cmd.add_option("--csv-header", o.csvHeader, "CSV header line: auto, yes, no")->capture_default_str();
  cmd.add_option("--synthetic", o.synthetic,
                 "Synthetic preset when no --trace: stationary, rotating, flash, arrivals, video")
      ->capture_default_str();
  cmd.add_option("--seed", o.seed, "Seed of the synthetic generator")->capture_default_str();
  cmd.add_option("--requests", o.requests, "Limit requests (trace) or set the count (synthetic); 0 = default");
  cmd.add_option("--objects", o.objects, "Synthetic catalogue size (distinct objects); 0 = the preset's");
  cmd.add_option("--one-hit-share", o.oneHitShare,
                 "Synthetic: share of requests (0..1) for one-hit wonders, new objects never asked for again")
      ->capture_default_str();
  cmd.add_flag("--keep-zero-size", o.keepZeroSize, "Keep size-0 requests (libCacheSim drops them)");
}

namespace {

Result<traces::CsvOptions> parseCsvOptions(const TraceOptions& o) {
  traces::CsvOptions csv;
  if (o.csvHeader == "auto") csv.header = -1;
  else if (o.csvHeader == "yes") csv.header = 1;
  else if (o.csvHeader == "no") csv.header = 0;
  else return Result<traces::CsvOptions>::error("--csv-header: expected auto, yes or no, got '" + o.csvHeader + "'");
  std::stringstream ss(o.csvColumns);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto eq = item.find('=');
    int col = -1;
    if (eq != std::string::npos) {
      const char* b = item.data() + eq + 1;
      auto [p, ec] = std::from_chars(b, item.data() + item.size(), col);
      if (ec != std::errc() || p != item.data() + item.size() || col < 0) col = -1;
    }
    const std::string name = eq == std::string::npos ? item : item.substr(0, eq);
    if (col < 0 || (name != "time" && name != "key" && name != "size"))
      return Result<traces::CsvOptions>::error("--csv-cols: expected time=N,key=N,size=N, got '" + item + "'");
    (name == "time" ? csv.timeColumn : name == "key" ? csv.keyColumn : csv.sizeColumn) = col;
  }
  return csv;
}

}  // namespace

Result<LoadedTrace> loadTrace(const TraceOptions& o, bool quiet) {
  LoadedTrace out;
  const auto t0 = std::chrono::steady_clock::now();
  if (o.trace.empty()) {
    auto preset = traces::syntheticPreset(o.synthetic);
    if (!preset) return preset.status();
    preset->seed = o.seed;
    if (o.requests != 0) preset->requests = o.requests;
    if (o.objects != 0) preset->objects = o.objects;
    preset->oneHitShare = o.oneHitShare;
    if (auto st = traces::validateSyntheticConfig(preset.value()); !st) return st;
    out.requests = traces::generateSynthetic(preset.value());
    out.name = "synthetic:" + o.synthetic + "(seed=" + std::to_string(o.seed) +
               (o.oneHitShare > 0 ? ",one-hit=" + fmt::format("{:g}", o.oneHitShare) : std::string()) + ")";
    out.hasTimestamps = true;
    out.unitSize = preset->sizeModel == traces::SizeModel::kUnit;
  } else {
    traces::ReadOptions ro;
    if (!o.format.empty()) {
      auto f = traces::parseFormat(o.format);
      if (!f) return f.status();
      ro.format = f.value();
    }
    auto csv = parseCsvOptions(o);
    if (!csv) return csv.status();
    ro.csv = csv.value();
    ro.skipZeroSize = !o.keepZeroSize;
    ro.maxRequests = o.requests;
    std::error_code ec;
    const auto fileBytes = std::filesystem::file_size(o.trace, ec);
    Progress progress("reading " + o.trace, ec ? 0 : fileBytes);
    ro.progress = [&](std::uint64_t done, std::uint64_t) { progress.update(done); };
    auto t = traces::readTrace(o.trace, ro);
    progress.finish();
    if (!t) return t.status();
    out.requests = std::move(t->requests);
    out.name = std::filesystem::path(o.trace).filename().string();
    out.hasTimestamps = t->hasTimestamps;
    out.unitSize = t->unitSize;
  }
  out.loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.workingSet = traces::workingSet(out.requests);
  if (!quiet) {
    std::fprintf(stderr, "trace %s: %zu requests, %llu objects, working set %s, loaded in %.2fs\n", out.name.c_str(),
                 out.requests.size(), static_cast<unsigned long long>(out.workingSet.objects),
                 cachelib::humanBytes(static_cast<double>(out.workingSet.bytes)).c_str(), out.loadSeconds);
  }
  if (out.requests.empty()) return Result<LoadedTrace>::error("trace " + out.name + " has no requests");
  return out;
}

Result<std::vector<std::uint64_t>> parseSizeList(const std::string& list, std::uint64_t workingSetBytes) {
  std::vector<std::uint64_t> sizes;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    double fraction = -1;
    if (item.back() == '%') {
      double pct = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size() - 1, pct);
      if (ec == std::errc() && p == item.data() + item.size() - 1) fraction = pct / 100.0;
    } else if (item.find_first_not_of("0123456789.") == std::string::npos && item.find('.') != std::string::npos) {
      double v = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
      if (ec == std::errc() && p == item.data() + item.size() && v > 0 && v < 1) fraction = v;
    }
    if (fraction > 0) {
      sizes.push_back(static_cast<std::uint64_t>(fraction * static_cast<double>(workingSetBytes)));
      continue;
    }
    auto b = cachelib::parseByteSize(item);
    if (!b) return b.status();
    sizes.push_back(b.value());
  }
  if (sizes.empty()) return Result<std::vector<std::uint64_t>>::error("--sizes: no size given (e.g. 128MiB,1GiB or 1%,10%)");
  return sizes;
}

Result<std::vector<double>> parseRateList(const std::string& list) {
  std::vector<double> rates;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    double r = -1;
    auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), r);
    if (ec != std::errc() || p != item.data() + item.size() || !(r > 0 && r <= 1))
      return Result<std::vector<double>>::error("expected rates in (0, 1], got '" + item + "'");
    rates.push_back(r);
  }
  if (rates.empty()) return Result<std::vector<double>>::error("no rate given (e.g. 0.01,0.001)");
  return rates;
}

Result<std::vector<cachelib::PolicyId>> parsePolicyList(const std::string& list) {
  std::vector<cachelib::PolicyId> ids;
  if (list == "all" || list == "online") {
    for (const auto& p : cachelib::policyRegistry())
      if (list == "all" || !p.offline) ids.push_back(p.id);
    return ids;
  }
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    const cachelib::PolicyInfo* p = cachelib::findPolicy(item);
    if (p == nullptr)
      return Result<std::vector<cachelib::PolicyId>>::error("unknown policy '" + item + "' (known: " +
                                                             cachelib::policyNames() + ", or all/online)");
    ids.push_back(p->id);
  }
  if (ids.empty()) return Result<std::vector<cachelib::PolicyId>>::error("--policies: no policy given");
  return ids;
}

}  // namespace edgecache::bench
