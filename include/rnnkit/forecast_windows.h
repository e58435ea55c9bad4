#pragma once
#include <cstdint>
#include <span>
#include <vector>

#include "rnnkit/series_csv.h"
#include "rnnkit/series_normalization.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// A normalised multivariate series, row-major [steps, K + C]: the K target series first, then
// the C covariates (series known in advance for the future steps too, like a calendar).
struct ForecastSeries {
  int64_t steps = 0, num_targets = 0, num_covariates = 0;
  std::vector<float> values;
  int64_t width() const { return num_targets + num_covariates; }
};

// The columns of `table` named by `normalization` (targets first), normalised; the first
// `num_targets` of them are the targets.
ForecastSeries make_forecast_series(const SeriesTable& table,
                                    const SeriesNormalization& normalization, int64_t num_targets);

// B windows, time-major. Window b forecasts steps [o, o + H) of origin o = origins[b] from the
// L steps [o - L, o) before it.
struct ForecastBatch {
  Tensor context;            // [L, B, K + C]: past targets, then past covariates
  Tensor future_covariates;  // [H, B, C]: the covariates of the forecast steps
  Tensor targets;            // [H, B, K]: what is to be forecast
  std::vector<int64_t> origins;
  int64_t batch() const { return static_cast<int64_t>(origins.size()); }
};

// Error for an origin whose context or horizon leaves the series.
ForecastBatch make_forecast_batch(const ForecastSeries& series, std::span<const int64_t> origins,
                                  int64_t context, int64_t horizon);

}  // namespace rnnkit
