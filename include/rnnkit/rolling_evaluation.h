#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rnnkit/forecast_baselines.h"
#include "rnnkit/forecast_metrics.h"
#include "rnnkit/forecast_windows.h"
#include "rnnkit/forecaster.h"
#include "rnnkit/series_csv.h"
#include "rnnkit/series_split.h"

namespace rnnkit {

// A forecast of H steps of K target series from one origin, in the series' own units, row-major
// [H, K]; lower and upper bound a prediction interval, or are empty.
struct SeriesForecast {
  std::vector<double> point, lower, upper;
};
// Forecasts from the given origin (the index of the first forecast step); it may read any step
// before the origin and the covariates of any step.
using ForecastFunction = std::function<SeriesForecast(int64_t origin)>;

struct RollingOriginOptions {
  std::vector<std::string> targets;  // the series scored, in the order of the forecasts' K
  int64_t context = 1;               // steps a forecast may need before its origin
  int64_t horizon = 1;
  int64_t every = 1;   // steps between consecutive origins
  int64_t period = 1;  // season length m of the MASE scale (1: the naive forecast's error)
};

struct SeriesScore {
  std::string name;
  PointMetrics metrics;
  std::optional<double> coverage;  // of [lower, upper], when the forecasts have an interval
};

struct RollingOriginReport {
  std::vector<int64_t> origins;
  std::vector<SeriesScore> series;  // one per target, metrics pooled over origins and steps
};

// Rolling-origin evaluation on the test part (Tashman 2000): origins from split.valid_end every
// `every` steps while the horizon fits, each forecast scored against the actual values; MASE is
// scaled by the seasonal naive error of the training part. Error when no origin fits or a
// forecast has the wrong size.
RollingOriginReport evaluate_rolling_origin(const SeriesTable& table, const SeriesSplit& split,
                                            const RollingOriginOptions& options,
                                            const ForecastFunction& forecast);

// The baseline forecast of every target from all steps before the origin.
ForecastFunction baseline_forecaster(const SeriesTable& table,
                                     const std::vector<std::string>& targets, BaselineKind kind,
                                     int64_t horizon, int64_t period);

// The model's forecast from the window before the origin, mapped back to the series' units; a
// quantile model's interval is [first quantile, last quantile]. `series` holds the normalised
// inputs in the model's order; the model and series must outlive the function.
ForecastFunction model_forecaster(Forecaster& model, const ForecastSeries& series,
                                  const SeriesNormalization& normalization);

}  // namespace rnnkit
