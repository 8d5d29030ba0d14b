#include "cachelib/cost_model.h"

#include <cmath>
#include <cstdio>

namespace edgecache::cachelib {

namespace {
constexpr double kBytesPerGb = 1e9;
constexpr double kMicrosPerHour = 3600.0 * 1e6;
}  // namespace

std::string CostPrices::describe() const {
  char buf[160];
  std::snprintf(buf, sizeof buf, "$%g/GB-hour rental, $%g/GB egress, $%g/resize", dollarsPerGbHour, dollarsPerGbEgress,
                dollarsPerResize);
  return buf;
}

Status CostPrices::check() const {
  const struct {
    const char* name;
    double value;
  } prices[] = {{"rental price ($/GB-hour)", dollarsPerGbHour},
                {"egress price ($/GB)", dollarsPerGbEgress},
                {"resize price ($ per change)", dollarsPerResize}};
  for (const auto& p : prices) {
    if (!std::isfinite(p.value) || p.value < 0) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s: expected a finite number >= 0, got %g", p.name, p.value);
      return Status::error(buf);
    }
  }
  return Status::ok();
}

void CostMeter::add(const CostMeter& other) noexcept {
  byteMicros_ += other.byteMicros_;
  heldMicros_ += other.heldMicros_;
  missBytes_ += other.missBytes_;
  resizes_ += other.resizes_;
}

CostBreakdown CostMeter::cost(const CostPrices& prices) const noexcept {
  CostBreakdown c;
  // Split the 128-bit product so the conversion keeps full precision.
  const auto whole = static_cast<double>(static_cast<std::uint64_t>(byteMicros_ >> 64)) * 18446744073709551616.0 +
                     static_cast<double>(static_cast<std::uint64_t>(byteMicros_));
  c.rental = prices.dollarsPerGbHour * whole / (kBytesPerGb * kMicrosPerHour);
  c.egress = prices.dollarsPerGbEgress * static_cast<double>(missBytes_) / kBytesPerGb;
  c.resize = prices.dollarsPerResize * static_cast<double>(resizes_);
  return c;
}

double CostMeter::meanCapacityBytes() const noexcept {
  if (heldMicros_ == 0) return 0.0;
  return static_cast<double>(byteMicros_ / heldMicros_) +
         static_cast<double>(byteMicros_ % heldMicros_) / static_cast<double>(heldMicros_);
}

double rentalDollars(const CostPrices& prices, double capacityBytes, double seconds) noexcept {
  return prices.dollarsPerGbHour * capacityBytes / kBytesPerGb * seconds / 3600.0;
}

double egressDollars(const CostPrices& prices, double missBytes) noexcept {
  return prices.dollarsPerGbEgress * missBytes / kBytesPerGb;
}

}  // namespace edgecache::cachelib
