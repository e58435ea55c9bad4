#include "rnnkit/rolling_evaluation.h"

#include <span>

#include "rnnkit/error.h"

namespace rnnkit {

RollingOriginReport evaluate_rolling_origin(const SeriesTable& table, const SeriesSplit& split,
                                            const RollingOriginOptions& options,
                                            const ForecastFunction& forecast) {
  if (split.steps != table.steps())
    throw Error("rolling-origin evaluation: a split of " + std::to_string(split.steps) +
                " steps for a series of " + std::to_string(table.steps()));
  RollingOriginReport report;
  report.origins = rolling_origins(split.valid_end, split.steps, options.context, options.horizon,
                                   options.every);
  if (report.origins.empty())
    throw Error("rolling-origin evaluation: the test part (" + std::to_string(split.test_steps()) +
                " steps) holds no forecast of " + std::to_string(options.horizon) + " steps");
  const auto K = static_cast<int64_t>(options.targets.size()), H = options.horizon;
  if (K == 0) throw Error("rolling-origin evaluation: no target series");
  // Per target: actual values, point forecasts and interval bounds, over all origins and steps.
  std::vector<std::vector<double>> actual(K), point(K), lower(K), upper(K);
  bool interval = true;
  for (int64_t origin : report.origins) {
    const SeriesForecast f = forecast(origin);
    if (static_cast<int64_t>(f.point.size()) != H * K)
      throw Error("rolling-origin evaluation: a forecast of " + std::to_string(f.point.size()) +
                  " values, expected " + std::to_string(H * K));
    interval = interval && f.lower.size() == f.point.size() && f.upper.size() == f.point.size();
    for (int64_t k = 0; k < K; ++k) {
      const std::vector<double>& column = table.columns[table.index_of(options.targets[k])];
      for (int64_t j = 0; j < H; ++j) {
        actual[k].push_back(column[origin + j]);
        point[k].push_back(f.point[j * K + k]);
        if (!interval) continue;
        lower[k].push_back(f.lower[j * K + k]);
        upper[k].push_back(f.upper[j * K + k]);
      }
    }
  }
  for (int64_t k = 0; k < K; ++k) {
    const std::vector<double>& column = table.columns[table.index_of(options.targets[k])];
    const double scale = seasonal_naive_scale(
        std::span<const double>(column).first(split.train_end), options.period);
    SeriesScore score{options.targets[k], point_metrics(actual[k], point[k], scale), std::nullopt};
    if (interval) score.coverage = interval_coverage(actual[k], lower[k], upper[k]);
    report.series.push_back(std::move(score));
  }
  return report;
}

ForecastFunction baseline_forecaster(const SeriesTable& table,
                                     const std::vector<std::string>& targets, BaselineKind kind,
                                     int64_t horizon, int64_t period) {
  std::vector<const std::vector<double>*> columns;
  for (const std::string& name : targets) columns.push_back(&table.columns[table.index_of(name)]);
  return [columns, kind, horizon, period](int64_t origin) {
    const auto K = static_cast<int64_t>(columns.size());
    SeriesForecast f;
    f.point.resize(horizon * K);
    for (int64_t k = 0; k < K; ++k) {
      const std::vector<double> values = baseline_forecast(
          kind, std::span<const double>(*columns[k]).first(origin), horizon, period);
      for (int64_t j = 0; j < horizon; ++j) f.point[j * K + k] = values[j];
    }
    return f;
  };
}

ForecastFunction model_forecaster(Forecaster& model, const ForecastSeries& series,
                                  const SeriesNormalization& normalization) {
  return [&model, &series, &normalization](int64_t origin) {
    const ForecasterConfig& c = model.config();
    const int64_t origins[] = {origin};
    ForecastBatch batch = make_forecast_batch(series, origins, c.context, c.horizon);
    Tensor outputs;  // [H, 1, K, Q]
    model.predict(batch, outputs);
    const int64_t K = c.num_targets, Q = c.outputs_per_target();
    const bool interval = c.loss == ForecastLossKind::Quantile && Q >= 2;
    SeriesForecast f;
    for (int64_t j = 0; j < c.horizon; ++j)
      for (int64_t k = 0; k < K; ++k) {
        const float* values = outputs.data() + (j * K + k) * Q;
        f.point.push_back(normalization.model_output(k, values[c.point_index()], origin + j));
        if (!interval) continue;
        f.lower.push_back(normalization.model_output(k, values[0], origin + j));
        f.upper.push_back(normalization.model_output(k, values[Q - 1], origin + j));
      }
    return f;
  };
}

}  // namespace rnnkit
