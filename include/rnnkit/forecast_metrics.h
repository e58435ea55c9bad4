#pragma once
#include <cstdint>
#include <optional>
#include <span>

namespace rnnkit {

// Accuracy of point forecasts against the actual values (Hyndman & Koehler 2006):
//   MAE = mean |y - f|, RMSE = sqrt(mean (y - f)^2),
//   sMAPE = mean 200 |y - f| / (|y| + |f|)  (percent, as in the M4 competition),
//   MASE = MAE / scale, scale = the in-sample MAE of the seasonal naive forecast.
// sMAPE is left out (nullopt) when an actual value is 0: there it is 200% whatever the
// forecast, which says nothing about accuracy. MASE is left out when its scale is 0 (an in-sample
// part that repeats itself exactly): undefined, where the other scores still say something.
struct PointMetrics {
  int64_t count = 0;
  double mae = 0, rmse = 0;
  std::optional<double> smape, mase;
};

// mean |y_t - y_{t-m}| over t = m..n-1 of the in-sample (training) part: 0 for a part that
// repeats itself exactly. Error when it has no more than m steps.
double seasonal_naive_scale(std::span<const double> in_sample, int64_t period);

// Error for spans of different or zero length.
PointMetrics point_metrics(std::span<const double> actual, std::span<const double> forecast,
                           double mase_scale);

// The fraction of actual values inside [lower, upper] (bounds included).
double interval_coverage(std::span<const double> actual, std::span<const double> lower,
                         std::span<const double> upper);

}  // namespace rnnkit
