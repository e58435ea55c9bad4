#include "rnnkit/forecast_metrics.h"

#include <cmath>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

void check_lengths(size_t a, size_t b, const char* what) {
  if (a != b || a == 0)
    throw Error(std::string(what) + ": " + std::to_string(a) + " actual values and " +
                std::to_string(b) + " forecasts");
}

}  // namespace

double seasonal_naive_scale(std::span<const double> in_sample, int64_t period) {
  const auto n = static_cast<int64_t>(in_sample.size());
  if (period < 1) throw Error("MASE: the period must be >= 1, got " + std::to_string(period));
  if (n <= period)
    throw Error("MASE: the in-sample part has " + std::to_string(n) +
                " steps, it needs more than the period " + std::to_string(period));
  double sum = 0;
  for (int64_t t = period; t < n; ++t) sum += std::abs(in_sample[t] - in_sample[t - period]);
  return sum / static_cast<double>(n - period);
}

PointMetrics point_metrics(std::span<const double> actual, std::span<const double> forecast,
                           double mase_scale) {
  check_lengths(actual.size(), forecast.size(), "point metrics");
  double absolute = 0, squared = 0, symmetric = 0;
  bool zero_actual = false;
  for (size_t i = 0; i < actual.size(); ++i) {
    const double e = actual[i] - forecast[i];
    absolute += std::abs(e);
    squared += e * e;
    zero_actual = zero_actual || actual[i] == 0;
    const double denominator = std::abs(actual[i]) + std::abs(forecast[i]);
    if (denominator > 0) symmetric += 200 * std::abs(e) / denominator;
  }
  const auto n = static_cast<double>(actual.size());
  PointMetrics m;
  m.count = static_cast<int64_t>(actual.size());
  m.mae = absolute / n;
  m.rmse = std::sqrt(squared / n);
  if (mase_scale > 0) m.mase = m.mae / mase_scale;
  if (!zero_actual) m.smape = symmetric / n;
  return m;
}

double interval_coverage(std::span<const double> actual, std::span<const double> lower,
                         std::span<const double> upper) {
  check_lengths(actual.size(), lower.size(), "interval coverage");
  check_lengths(actual.size(), upper.size(), "interval coverage");
  int64_t inside = 0;
  for (size_t i = 0; i < actual.size(); ++i)
    inside += lower[i] <= actual[i] && actual[i] <= upper[i];
  return static_cast<double>(inside) / static_cast<double>(actual.size());
}

}  // namespace rnnkit
