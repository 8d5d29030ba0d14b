#pragma once
// The cost model a small content provider pays: rental of edge cache capacity
// by the GB-hour, plus origin egress for every missed byte, plus an optional
// fee per capacity change. GB means 10^9 bytes, as cloud price lists do.
//
// CostMeter accumulates in exact integer units (byte-microseconds of held
// capacity in 128 bits, missed bytes, resize count) and converts to dollars
// only when asked, so long traces do not drift.

#include <cstdint>
#include <string>

#include "cachelib/status.h"

namespace edgecache::cachelib {

struct CostPrices {
  double dollarsPerGbHour = 0.015;   // cache rental, $ per GB of capacity per hour held
  double dollarsPerGbEgress = 0.09;  // origin egress, $ per GB of missed bytes
  double dollarsPerResize = 0.0;     // re-provisioning fee per capacity change
  std::string describe() const;      // "$0.015/GB-hour, $0.09/GB egress, $0/resize"
  // Every price a finite number >= 0; the error names the first that is not
  // ("rental price ($/GB-hour): got -1"). Front ends check before replaying.
  [[nodiscard]] Status check() const;
};

struct CostBreakdown {
  double rental = 0.0;  // dollars
  double egress = 0.0;
  double resize = 0.0;
  double total() const noexcept { return rental + egress + resize; }
};

class CostMeter {
 public:
  // `capacityBytes` held for `durationMicros` of trace time.
  void holdCapacity(std::uint64_t capacityBytes, std::uint64_t durationMicros) noexcept {
    byteMicros_ += static_cast<unsigned __int128>(capacityBytes) * durationMicros;
    heldMicros_ += durationMicros;
  }
  void addMissBytes(std::uint64_t bytes) noexcept { missBytes_ += bytes; }
  void addResize() noexcept { ++resizes_; }
  void add(const CostMeter& other) noexcept;

  CostBreakdown cost(const CostPrices& prices) const noexcept;
  std::uint64_t missBytes() const noexcept { return missBytes_; }
  std::uint64_t resizes() const noexcept { return resizes_; }
  std::uint64_t heldMicros() const noexcept { return heldMicros_; }
  // Time-weighted mean capacity in bytes (0 when no time has passed).
  double meanCapacityBytes() const noexcept;

 private:
  unsigned __int128 byteMicros_ = 0;
  std::uint64_t heldMicros_ = 0;
  std::uint64_t missBytes_ = 0;
  std::uint64_t resizes_ = 0;
};

// Dollars for holding `capacityBytes` for `seconds` / for `missBytes` of egress
// (the controllers' estimates use these; the meter is for accounting).
double rentalDollars(const CostPrices& prices, double capacityBytes, double seconds) noexcept;
double egressDollars(const CostPrices& prices, double missBytes) noexcept;

}  // namespace edgecache::cachelib
