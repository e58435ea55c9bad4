#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rnnkit {

// The reference forecasts of Hyndman & Athanasopoulos, "Forecasting: Principles and Practice",
// ch. 5.2, for step h = 1..H after the history y_1..y_n:
//   naive:           y_n
//   seasonal naive:  y_{n + h - m * (floor((h - 1) / m) + 1)}   (the same season's last value)
//   drift:           y_n + h * (y_n - y_1) / (n - 1)
enum class BaselineKind { Naive, SeasonalNaive, Drift };
BaselineKind parse_baseline(std::string_view name);  // "naive", "seasonal_naive", "drift"
std::string baseline_name(BaselineKind kind);

// Error when the history is too short: empty (naive), under one period (seasonal naive), under
// two steps (drift).
std::vector<double> baseline_forecast(BaselineKind kind, std::span<const double> history,
                                      int64_t horizon, int64_t period);

}  // namespace rnnkit
