#pragma once
// A small metrics registry that renders the Prometheus text exposition
// format, version 0.0.4 (prometheus-cpp is not packaged in Debian 12).
//
// Usage: register a family once at start-up, resolve each label set once,
// keep the handle, update it on the hot path:
//
//   MetricsRegistry reg;
//   auto* requests = reg.counterFamily("edgecache_requests_total", "Requests by cache result.", {"result"}).value();
//   Counter hits = requests->withLabels({"hit"}).value();   // once
//   hits.inc();                                             // per request: one relaxed atomic add
//
// Thread safety: everything is callable from any thread. Handle updates
// (Counter::inc, Gauge::set/inc/dec, Histogram::observe) are lock-free
// relaxed atomics on a cache line of their own; registration, withLabels()
// and renderText() take a mutex. A render running concurrently with updates
// sees each value atomically, but a histogram's _sum may lag its buckets by
// the observations in flight (its _count always equals its +Inf bucket).
//
// Ownership: the registry owns families and children; families and handles
// stay valid for the registry's lifetime and must not outlive it. Children
// are never removed.
//
// Errors: registration and withLabels() return Result with a one-line
// message (invalid metric or label name, reserved label, label count
// mismatch, non-UTF-8 label value, bad buckets, conflicting re-registration).
// Re-registering an identical family returns the existing one.
//
// Values are doubles: integers print exactly up to 2^53, other values in the
// shortest form that round-trips.

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "cachelib/status.h"

namespace edgecache::proxy {

namespace metrics_detail {
// One counter or gauge value, alone on its cache line so that hot children
// updated by different threads do not false-share.
struct alignas(64) ScalarCell {
  std::atomic<double> value{0.0};
};
struct alignas(64) HistogramCell {
  explicit HistogramCell(const std::vector<double>* b) : bounds(b), counts(b->size() + 1) {}
  const std::vector<double>* bounds;             // upper bounds, ascending, without +Inf
  std::vector<std::atomic<std::uint64_t>> counts;  // per bucket (not cumulative); last = +Inf
  std::atomic<double> sum{0.0};
};
class Family;
}  // namespace metrics_detail

// A monotonically increasing value. Cheap to copy. A default-constructed
// handle is valid and discards updates (for optional instrumentation).
class Counter {
 public:
  Counter() noexcept;
  // Adds `delta`; negative or NaN deltas are ignored (a counter never goes down).
  void inc(double delta = 1.0) noexcept {
    if (delta >= 0.0) cell_->value.fetch_add(delta, std::memory_order_relaxed);
  }
  double value() const noexcept { return cell_->value.load(std::memory_order_relaxed); }

 private:
  friend class CounterFamily;
  explicit Counter(metrics_detail::ScalarCell* cell) noexcept : cell_(cell) {}
  metrics_detail::ScalarCell* cell_;
};

// A value that goes up and down. Cheap to copy; default-constructed discards.
class Gauge {
 public:
  Gauge() noexcept;
  void set(double v) noexcept { cell_->value.store(v, std::memory_order_relaxed); }
  void inc(double delta = 1.0) noexcept { cell_->value.fetch_add(delta, std::memory_order_relaxed); }
  void dec(double delta = 1.0) noexcept { cell_->value.fetch_sub(delta, std::memory_order_relaxed); }
  double value() const noexcept { return cell_->value.load(std::memory_order_relaxed); }

 private:
  friend class GaugeFamily;
  explicit Gauge(metrics_detail::ScalarCell* cell) noexcept : cell_(cell) {}
  metrics_detail::ScalarCell* cell_;
};

// Distribution of observations over fixed buckets. Cheap to copy;
// default-constructed discards. observe() is O(log buckets).
class Histogram {
 public:
  Histogram() noexcept;
  // Counts `v` in the first bucket whose upper bound is >= v (NaN lands in
  // +Inf) and adds it to the sum.
  void observe(double v) noexcept;

 private:
  friend class HistogramFamily;
  explicit Histogram(metrics_detail::HistogramCell* cell) noexcept : cell_(cell) {}
  metrics_detail::HistogramCell* cell_;
};

namespace metrics_detail {
enum class Kind { kCounter, kGauge, kHistogram };

// Shared part of the three family types. Not used directly.
class Family {
 public:
  Family(Kind kind, std::string name, std::string help, std::vector<std::string> labelNames);
  virtual ~Family() = default;
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::vector<std::string>& labelNames() const noexcept { return labelNames_; }
  Kind kind() const noexcept { return kind_; }
  const std::string& help() const noexcept { return help_; }
  // Appends this family's HELP, TYPE and sample lines (nothing when it has
  // no children yet).
  void render(std::string& out) const;

 protected:
  // Checks the count and encoding of `values`; "" when fine.
  std::string checkLabelValues(const std::vector<std::string>& values) const;
  virtual void renderChildren(std::string& out) const = 0;

  const Kind kind_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> labelNames_;
  mutable std::mutex mutex_;  // guards the children maps of the subclasses
};
}  // namespace metrics_detail

class CounterFamily final : public metrics_detail::Family {
 public:
  using Family::Family;
  // The child for these label values (one per label name, in order),
  // created at zero on first use. Takes a mutex: call once, keep the handle.
  cachelib::Result<Counter> withLabels(const std::vector<std::string>& values);
  cachelib::Result<Counter> withLabels(std::initializer_list<std::string_view> values);

 private:
  void renderChildren(std::string& out) const override;
  std::map<std::vector<std::string>, std::unique_ptr<metrics_detail::ScalarCell>> children_;
};

class GaugeFamily final : public metrics_detail::Family {
 public:
  using Family::Family;
  cachelib::Result<Gauge> withLabels(const std::vector<std::string>& values);
  cachelib::Result<Gauge> withLabels(std::initializer_list<std::string_view> values);

 private:
  void renderChildren(std::string& out) const override;
  std::map<std::vector<std::string>, std::unique_ptr<metrics_detail::ScalarCell>> children_;
};

class HistogramFamily final : public metrics_detail::Family {
 public:
  HistogramFamily(std::string name, std::string help, std::vector<std::string> labelNames, std::vector<double> bounds);
  cachelib::Result<Histogram> withLabels(const std::vector<std::string>& values);
  cachelib::Result<Histogram> withLabels(std::initializer_list<std::string_view> values);
  const std::vector<double>& bounds() const noexcept { return bounds_; }

 private:
  void renderChildren(std::string& out) const override;
  const std::vector<double> bounds_;
  std::map<std::vector<std::string>, std::unique_ptr<metrics_detail::HistogramCell>> children_;
};

// Bucket helpers: `count` bounds start, start+width, ... / start, start*factor, ...
std::vector<double> linearBuckets(double start, double width, int count);
std::vector<double> exponentialBuckets(double start, double factor, int count);

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Name: [a-zA-Z_:][a-zA-Z0-9_:]*. Label names: [a-zA-Z_][a-zA-Z0-9_]*, not
  // starting with "__", unique; histograms may not use "le". Help: any text
  // (escaped on output). Buckets: finite, strictly increasing, non-empty;
  // "+Inf" is implicit.
  cachelib::Result<CounterFamily*> counterFamily(std::string_view name, std::string_view help,
                                                 std::vector<std::string> labelNames = {});
  cachelib::Result<GaugeFamily*> gaugeFamily(std::string_view name, std::string_view help,
                                             std::vector<std::string> labelNames = {});
  cachelib::Result<HistogramFamily*> histogramFamily(std::string_view name, std::string_view help,
                                                     std::vector<std::string> labelNames, std::vector<double> bounds);

  // Shortcuts for metrics without labels.
  cachelib::Result<Counter> counter(std::string_view name, std::string_view help);
  cachelib::Result<Gauge> gauge(std::string_view name, std::string_view help);
  cachelib::Result<Histogram> histogram(std::string_view name, std::string_view help, std::vector<double> bounds);

  // The whole registry in text format 0.0.4, families in registration order,
  // children in label-value order. Serve it with kContentType.
  std::string renderText() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  cachelib::Status checkNewFamily(std::string_view name, metrics_detail::Kind kind,
                                  const std::vector<std::string>& labelNames) const;
  metrics_detail::Family* find(std::string_view name) const;

  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<metrics_detail::Family>> families_;
};

// Text-format escaping, exposed for tests: label values escape \, " and
// newline; HELP text escapes \ and newline.
std::string escapeLabelValue(std::string_view value);
std::string escapeHelp(std::string_view help);
// Sample value formatting: integers exactly, "+Inf", "-Inf", "NaN", else
// shortest round-trip.
std::string formatMetricValue(double v);

}  // namespace edgecache::proxy
