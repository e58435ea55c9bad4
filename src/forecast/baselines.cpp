#include "rnnkit/forecast_baselines.h"

#include "rnnkit/error.h"

namespace rnnkit {

BaselineKind parse_baseline(std::string_view name) {
  if (name == "naive") return BaselineKind::Naive;
  if (name == "seasonal_naive") return BaselineKind::SeasonalNaive;
  if (name == "drift") return BaselineKind::Drift;
  throw Error("unknown baseline \"" + std::string(name) + "\" (naive, seasonal_naive or drift)");
}

std::string baseline_name(BaselineKind kind) {
  switch (kind) {
    case BaselineKind::Naive:
      return "naive";
    case BaselineKind::SeasonalNaive:
      return "seasonal_naive";
    case BaselineKind::Drift:
      return "drift";
  }
  return "?";
}

std::vector<double> baseline_forecast(BaselineKind kind, std::span<const double> history,
                                      int64_t horizon, int64_t period) {
  const auto n = static_cast<int64_t>(history.size());
  if (horizon < 1) throw Error("baseline forecast: horizon must be >= 1");
  const int64_t needed = kind == BaselineKind::SeasonalNaive ? period
                         : kind == BaselineKind::Drift       ? 2
                                                             : 1;
  if (kind == BaselineKind::SeasonalNaive && period < 1)
    throw Error("seasonal naive: the period must be >= 1, got " + std::to_string(period));
  if (n < needed)
    throw Error(baseline_name(kind) + " needs a history of at least " + std::to_string(needed) +
                " steps, got " + std::to_string(n));
  std::vector<double> forecast(horizon);
  const double last = history[n - 1];
  for (int64_t h = 1; h <= horizon; ++h) {
    switch (kind) {
      case BaselineKind::Naive:
        forecast[h - 1] = last;
        break;
      case BaselineKind::SeasonalNaive:
        // 0-based index n + h - 1 - m * ((h - 1) / m + 1), within the last period of the history
        forecast[h - 1] = history[n + h - 1 - period * ((h - 1) / period + 1)];
        break;
      case BaselineKind::Drift:
        forecast[h - 1] =
            last + static_cast<double>(h) * (last - history[0]) / static_cast<double>(n - 1);
        break;
    }
  }
  return forecast;
}

}  // namespace rnnkit
