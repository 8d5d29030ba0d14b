#include "proxy/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

namespace edgecache::proxy {

using cachelib::Result;
using cachelib::Status;
using metrics_detail::Kind;

namespace {

// Default-constructed handles point here, so an unwired handle is a no-op
// instead of a null dereference. The values are garbage nobody renders.
metrics_detail::ScalarCell gDiscardScalar;
const std::vector<double> gDiscardBounds;
metrics_detail::HistogramCell gDiscardHistogram(&gDiscardBounds);

bool isMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool isLabelName(std::string_view s) {
  if (s.empty() || s.starts_with("__")) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool isUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1, cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2, cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (std::size_t k = 1; k <= n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

const char* kindName(Kind k) {
  switch (k) {
    case Kind::kCounter: return "counter";
    case Kind::kGauge: return "gauge";
    case Kind::kHistogram: return "histogram";
  }
  return "untyped";
}

// `name{a="x",b="y"` + extra label (for le) + `} ` + value + newline.
void appendSample(std::string& out, std::string_view name, std::string_view suffix, const std::vector<std::string>& labelNames,
                  const std::vector<std::string>& values, std::string_view extraName, std::string_view extraValue,
                  double value) {
  out.append(name);
  out.append(suffix);
  if (!labelNames.empty() || !extraName.empty()) {
    out.push_back('{');
    bool first = true;
    for (std::size_t i = 0; i < labelNames.size(); ++i) {
      if (!first) out.push_back(',');
      first = false;
      out.append(labelNames[i]);
      out.append("=\"");
      out.append(escapeLabelValue(values[i]));
      out.push_back('"');
    }
    if (!extraName.empty()) {
      if (!first) out.push_back(',');
      out.append(extraName);
      out.append("=\"");
      out.append(extraValue);
      out.push_back('"');
    }
    out.push_back('}');
  }
  out.push_back(' ');
  out.append(formatMetricValue(value));
  out.push_back('\n');
}

std::vector<std::string> toValues(std::initializer_list<std::string_view> values) {
  std::vector<std::string> v;
  v.reserve(values.size());
  for (auto s : values) v.emplace_back(s);
  return v;
}

}  // namespace

std::string escapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string escapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out.push_back(c);
  }
  return out;
}

std::string formatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Integral values print as integers (exact below 2^53); "1e+06" would be
  // valid too, but counts read better in full.
  if (v == std::trunc(v) && std::fabs(v) < 9007199254740992.0) {
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<std::int64_t>(v));
    return std::string(buf, r.ptr);
  }
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::vector<double> linearBuckets(double start, double width, int count) {
  std::vector<double> b;
  for (int i = 0; i < count; ++i) b.push_back(start + width * i);
  return b;
}

std::vector<double> exponentialBuckets(double start, double factor, int count) {
  std::vector<double> b;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) b.push_back(v);
  return b;
}

// ------------------------------------------------------------ handles

Counter::Counter() noexcept : cell_(&gDiscardScalar) {}
Gauge::Gauge() noexcept : cell_(&gDiscardScalar) {}
Histogram::Histogram() noexcept : cell_(&gDiscardHistogram) {}

void Histogram::observe(double v) noexcept {
  const auto& b = *cell_->bounds;
  // First bound >= v ("le" is inclusive); NaN compares false everywhere and
  // lands in +Inf.
  const auto idx = std::isnan(v) ? b.size() : static_cast<std::size_t>(std::lower_bound(b.begin(), b.end(), v) - b.begin());
  cell_->counts[idx].fetch_add(1, std::memory_order_relaxed);
  cell_->sum.fetch_add(v, std::memory_order_relaxed);
}

// ------------------------------------------------------------ families

namespace metrics_detail {

Family::Family(Kind kind, std::string name, std::string help, std::vector<std::string> labelNames)
    : kind_(kind), name_(std::move(name)), help_(std::move(help)), labelNames_(std::move(labelNames)) {}

std::string Family::checkLabelValues(const std::vector<std::string>& values) const {
  if (values.size() != labelNames_.size())
    return "metrics: " + name_ + " takes " + std::to_string(labelNames_.size()) + " label values, got " +
           std::to_string(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!isUtf8(values[i])) return "metrics: " + name_ + " label " + labelNames_[i] + " value is not UTF-8";
  return {};
}

void Family::render(std::string& out) const {
  std::string samples;
  renderChildren(samples);
  if (samples.empty()) return;
  out += "# HELP ";
  out += name_;
  out += ' ';
  out += escapeHelp(help_);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += kindName(kind_);
  out += '\n';
  out += samples;
}

}  // namespace metrics_detail

Result<Counter> CounterFamily::withLabels(const std::vector<std::string>& values) {
  if (auto err = checkLabelValues(values); !err.empty()) return Status::error(err);
  std::lock_guard lock(mutex_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, std::make_unique<metrics_detail::ScalarCell>()).first;
  return Counter(it->second.get());
}
Result<Counter> CounterFamily::withLabels(std::initializer_list<std::string_view> values) {
  return withLabels(toValues(values));
}
void CounterFamily::renderChildren(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, cell] : children_)
    appendSample(out, name_, "", labelNames_, values, {}, {}, cell->value.load(std::memory_order_relaxed));
}

Result<Gauge> GaugeFamily::withLabels(const std::vector<std::string>& values) {
  if (auto err = checkLabelValues(values); !err.empty()) return Status::error(err);
  std::lock_guard lock(mutex_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, std::make_unique<metrics_detail::ScalarCell>()).first;
  return Gauge(it->second.get());
}
Result<Gauge> GaugeFamily::withLabels(std::initializer_list<std::string_view> values) { return withLabels(toValues(values)); }
void GaugeFamily::renderChildren(std::string& out) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, cell] : children_)
    appendSample(out, name_, "", labelNames_, values, {}, {}, cell->value.load(std::memory_order_relaxed));
}

HistogramFamily::HistogramFamily(std::string name, std::string help, std::vector<std::string> labelNames,
                                 std::vector<double> bounds)
    : Family(Kind::kHistogram, std::move(name), std::move(help), std::move(labelNames)), bounds_(std::move(bounds)) {}

Result<Histogram> HistogramFamily::withLabels(const std::vector<std::string>& values) {
  if (auto err = checkLabelValues(values); !err.empty()) return Status::error(err);
  std::lock_guard lock(mutex_);
  auto it = children_.find(values);
  if (it == children_.end()) it = children_.emplace(values, std::make_unique<metrics_detail::HistogramCell>(&bounds_)).first;
  return Histogram(it->second.get());
}
Result<Histogram> HistogramFamily::withLabels(std::initializer_list<std::string_view> values) {
  return withLabels(toValues(values));
}
void HistogramFamily::renderChildren(std::string& out) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> le;
  le.reserve(bounds_.size());
  for (double b : bounds_) le.push_back(formatMetricValue(b));
  for (const auto& [values, cell] : children_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      cumulative += cell->counts[i].load(std::memory_order_relaxed);
      appendSample(out, name_, "_bucket", labelNames_, values, "le", le[i], static_cast<double>(cumulative));
    }
    cumulative += cell->counts[bounds_.size()].load(std::memory_order_relaxed);
    appendSample(out, name_, "_bucket", labelNames_, values, "le", "+Inf", static_cast<double>(cumulative));
    appendSample(out, name_, "_sum", labelNames_, values, {}, {}, cell->sum.load(std::memory_order_relaxed));
    // _count from the same bucket reads, so it always equals the +Inf bucket.
    appendSample(out, name_, "_count", labelNames_, values, {}, {}, static_cast<double>(cumulative));
  }
}

// ------------------------------------------------------------ registry

metrics_detail::Family* MetricsRegistry::find(std::string_view name) const {
  for (const auto& f : families_)
    if (f->name() == name) return f.get();
  return nullptr;
}

Status MetricsRegistry::checkNewFamily(std::string_view name, Kind kind, const std::vector<std::string>& labelNames) const {
  if (!isMetricName(name)) return Status::error("metrics: invalid metric name '" + std::string(name) + "'");
  std::set<std::string_view> seen;
  for (const auto& l : labelNames) {
    if (!isLabelName(l)) return Status::error("metrics: " + std::string(name) + ": invalid label name '" + l + "'");
    if (kind == Kind::kHistogram && l == "le")
      return Status::error("metrics: " + std::string(name) + ": histograms may not use the label 'le'");
    if (!seen.insert(l).second) return Status::error("metrics: " + std::string(name) + ": duplicate label '" + l + "'");
  }
  // A histogram's series names must not collide with another family's.
  for (const auto& f : families_) {
    if (f->name() == name) continue;  // handled by the caller (identical re-registration)
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if ((f->kind() == Kind::kHistogram && f->name() + suffix == name) ||
          (kind == Kind::kHistogram && std::string(name) + suffix == f->name()))
        return Status::error("metrics: " + std::string(name) + " collides with the series of " + f->name());
    }
  }
  return Status::ok();
}

namespace {
Status conflict(std::string_view name) {
  return Status::error("metrics: " + std::string(name) + " is already registered with another type, help or labels");
}
}  // namespace

Result<CounterFamily*> MetricsRegistry::counterFamily(std::string_view name, std::string_view help,
                                                      std::vector<std::string> labelNames) {
  std::lock_guard lock(mutex_);
  if (auto* f = find(name)) {
    auto* c = dynamic_cast<CounterFamily*>(f);
    if (!c || c->labelNames() != labelNames || c->help() != help) return conflict(name);
    return c;
  }
  if (auto s = checkNewFamily(name, Kind::kCounter, labelNames); !s) return s;
  auto f = std::make_unique<CounterFamily>(Kind::kCounter, std::string(name), std::string(help), std::move(labelNames));
  auto* raw = f.get();
  families_.push_back(std::move(f));
  return raw;
}

Result<GaugeFamily*> MetricsRegistry::gaugeFamily(std::string_view name, std::string_view help,
                                                  std::vector<std::string> labelNames) {
  std::lock_guard lock(mutex_);
  if (auto* f = find(name)) {
    auto* g = dynamic_cast<GaugeFamily*>(f);
    if (!g || g->labelNames() != labelNames || g->help() != help) return conflict(name);
    return g;
  }
  if (auto s = checkNewFamily(name, Kind::kGauge, labelNames); !s) return s;
  auto f = std::make_unique<GaugeFamily>(Kind::kGauge, std::string(name), std::string(help), std::move(labelNames));
  auto* raw = f.get();
  families_.push_back(std::move(f));
  return raw;
}

Result<HistogramFamily*> MetricsRegistry::histogramFamily(std::string_view name, std::string_view help,
                                                          std::vector<std::string> labelNames, std::vector<double> bounds) {
  if (bounds.empty()) return Status::error("metrics: " + std::string(name) + ": histogram needs at least one bucket");
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i]))
      return Status::error("metrics: " + std::string(name) + ": bucket bounds must be finite (+Inf is implicit)");
    if (i > 0 && !(bounds[i] > bounds[i - 1]))
      return Status::error("metrics: " + std::string(name) + ": bucket bounds must be strictly increasing");
  }
  std::lock_guard lock(mutex_);
  if (auto* f = find(name)) {
    auto* h = dynamic_cast<HistogramFamily*>(f);
    if (!h || h->labelNames() != labelNames || h->help() != help || h->bounds() != bounds) return conflict(name);
    return h;
  }
  if (auto s = checkNewFamily(name, Kind::kHistogram, labelNames); !s) return s;
  auto f = std::make_unique<HistogramFamily>(std::string(name), std::string(help), std::move(labelNames), std::move(bounds));
  auto* raw = f.get();
  families_.push_back(std::move(f));
  return raw;
}

Result<Counter> MetricsRegistry::counter(std::string_view name, std::string_view help) {
  auto f = counterFamily(name, help);
  if (!f) return f.status();
  return f.value()->withLabels(std::vector<std::string>{});
}

Result<Gauge> MetricsRegistry::gauge(std::string_view name, std::string_view help) {
  auto f = gaugeFamily(name, help);
  if (!f) return f.status();
  return f.value()->withLabels(std::vector<std::string>{});
}

Result<Histogram> MetricsRegistry::histogram(std::string_view name, std::string_view help, std::vector<double> bounds) {
  auto f = histogramFamily(name, help, {}, std::move(bounds));
  if (!f) return f.status();
  return f.value()->withLabels(std::vector<std::string>{});
}

std::string MetricsRegistry::renderText() const {
  std::string out;
  out.reserve(4096);
  std::lock_guard lock(mutex_);
  for (const auto& f : families_) f->render(out);
  return out;
}

}  // namespace edgecache::proxy
