#include "rnnkit/forecast_windows.h"

#include <algorithm>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit {

ForecastSeries make_forecast_series(const SeriesTable& table,
                                    const SeriesNormalization& normalization, int64_t num_targets) {
  const auto width = static_cast<int64_t>(normalization.names.size());
  if (num_targets < 1 || num_targets > width)
    throw Error("forecast series: " + std::to_string(num_targets) + " targets among " +
                std::to_string(width) + " series");
  ForecastSeries series{table.steps(), num_targets, width - num_targets, {}};
  series.values.resize(series.steps * width);
  for (int64_t s = 0; s < width; ++s) {
    const std::vector<double>& column = table.columns[table.index_of(normalization.names[s])];
    for (int64_t t = 0; t < series.steps; ++t)
      series.values[t * width + s] = normalization.model_input(s, column[t], table, t);
  }
  return series;
}

ForecastBatch make_forecast_batch(const ForecastSeries& series, std::span<const int64_t> origins,
                                  int64_t context, int64_t horizon) {
  const int64_t B = static_cast<int64_t>(origins.size()), K = series.num_targets;
  const int64_t C = series.num_covariates, W = series.width();
  if (B == 0) throw Error("forecast batch: no windows");
  if (context < 1 || horizon < 1) throw Error("forecast batch: context and horizon must be >= 1");
  if (std::ssize(series.values) != series.steps * W)
    throw Error("forecast batch: the series holds " + std::to_string(series.values.size()) +
                " values, not its " + std::to_string(series.steps) + " steps x " +
                std::to_string(W) + " series");
  ForecastBatch batch{Tensor({context, B, W}),
                      Tensor({horizon, B, C}),
                      Tensor({horizon, B, K}),
                      {origins.begin(), origins.end()}};
  for (int64_t b = 0; b < B; ++b) {
    const int64_t o = origins[b];
    if (o - context < 0 || o + horizon > series.steps)
      throw Error("forecast window at origin " + std::to_string(o) + " needs steps [" +
                  std::to_string(o - context) + ", " + std::to_string(o + horizon) +
                  ") of a series of " + std::to_string(series.steps));
    for (int64_t t = 0; t < context; ++t) {
      const float* row = series.values.data() + (o - context + t) * W;
      std::copy(row, row + W, batch.context.data() + (t * B + b) * W);
    }
    for (int64_t j = 0; j < horizon; ++j) {
      const float* row = series.values.data() + (o + j) * W;
      std::copy(row, row + K, batch.targets.data() + (j * B + b) * K);
      std::copy(row + K, row + W, batch.future_covariates.data() + (j * B + b) * C);
    }
  }
  return batch;
}

}  // namespace rnnkit
