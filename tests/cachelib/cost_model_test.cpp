#include "cachelib/cost_model.h"

#include <cmath>

#include <doctest/doctest.h>

using namespace edgecache::cachelib;

TEST_CASE("rental and egress follow the price list") {
  CostPrices prices;  // $0.015/GB-hour, $0.09/GB egress
  CostMeter m;
  m.holdCapacity(1'000'000'000, 3'600'000'000ull);  // 1 GB for one hour
  m.addMissBytes(2'000'000'000);                   // 2 GB egress
  const CostBreakdown c = m.cost(prices);
  CHECK(c.rental == doctest::Approx(0.015));
  CHECK(c.egress == doctest::Approx(0.18));
  CHECK(c.resize == 0.0);
  CHECK(c.total() == doctest::Approx(0.195));
  CHECK(m.meanCapacityBytes() == doctest::Approx(1e9));
}

TEST_CASE("resize fees are counted per change") {
  CostPrices prices;
  prices.dollarsPerResize = 0.5;
  CostMeter m;
  m.addResize();
  m.addResize();
  CHECK(m.cost(prices).resize == doctest::Approx(1.0));
  CHECK(m.resizes() == 2);
}

TEST_CASE("accumulation is exact: a million small holds equal one large hold") {
  CostPrices prices;
  CostMeter small, large;
  for (int i = 0; i < 1'000'000; ++i) small.holdCapacity(123'456'789'012ull, 3'600'000);  // 1 h each, in us
  large.holdCapacity(123'456'789'012ull, 3'600'000ull * 1'000'000ull);
  CHECK(small.cost(prices).rental == large.cost(prices).rental);  // bit-identical, no drift
  CHECK(large.cost(prices).rental == doctest::Approx(0.015 * 123.456789012 * 1000.0));
}

TEST_CASE("mean capacity is time-weighted") {
  CostMeter m;
  m.holdCapacity(100, 1'000'000);
  m.holdCapacity(400, 3'000'000);
  CHECK(m.meanCapacityBytes() == doctest::Approx(325.0));
  CostMeter total;
  total.add(m);
  total.add(m);
  CHECK(total.meanCapacityBytes() == doctest::Approx(325.0));
  CHECK(total.heldMicros() == 8'000'000);
}

TEST_CASE("estimate helpers agree with the meter") {
  CostPrices prices{0.02, 0.05, 0.0};
  CostMeter m;
  m.holdCapacity(5'000'000'000ull, 1'800'000'000ull);  // 5 GB, 30 min
  m.addMissBytes(7'000'000'000ull);
  CHECK(rentalDollars(prices, 5e9, 1800.0) == doctest::Approx(m.cost(prices).rental));
  CHECK(egressDollars(prices, 7e9) == doctest::Approx(m.cost(prices).egress));
  CHECK(prices.describe().find("$0.02/GB-hour") != std::string::npos);
}

TEST_CASE("prices: negative, NaN and infinite prices are refused, naming the price") {
  CHECK(CostPrices{}.check().isOk());
  CHECK(CostPrices{0.0, 0.0, 0.0}.check().isOk());
  const Status rent = CostPrices{-1.0, 0.09, 0.0}.check();
  REQUIRE_FALSE(rent.isOk());
  CHECK(rent.message() == "rental price ($/GB-hour): expected a finite number >= 0, got -1");
  const Status egress = CostPrices{0.015, std::nan(""), 0.0}.check();
  REQUIRE_FALSE(egress.isOk());
  CHECK(egress.message().find("egress price ($/GB)") == 0);
  CHECK_FALSE(CostPrices{0.015, 0.09, HUGE_VAL}.check().isOk());
}
