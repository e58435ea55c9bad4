// What `rnnkit forecast eval | predict | plot` do with a trained model and its series.
#include <span>

#include "rnnkit/error.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/formatted.h"
#include "rnnkit/plot.h"

namespace rnnkit {

std::vector<std::string> ForecastInputs::targets() const {
  const auto& names = loaded.normalization.names;
  return {names.begin(), names.begin() + loaded.model->config().num_targets};
}

std::vector<std::string> ForecastInputs::covariates() const {
  const auto& names = loaded.normalization.names;
  return {names.begin() + loaded.model->config().num_targets, names.end()};
}

void ForecastInputs::use_table(SeriesTable new_table) {
  table = std::move(new_table);
  series = make_forecast_series(table, loaded.normalization, loaded.model->config().num_targets);
}

ForecastInputs load_forecast_inputs(const std::string& model_path,
                                    const ForecastSeriesOptions& options) {
  if (options.data.empty()) throw Error("--data FILE is required");
  ForecastInputs in{load_forecaster(model_path), {}, {}};
  in.use_table(read_series_csv(
      options.data, {"", in.loaded.normalization.names, parse_fill_policy(options.fill)}));
  return in;
}

ForecastScoringOptions scoring_of_run(const ForecastInputs& in,
                                      const ForecastScoringOptions& options,
                                      const std::set<std::string>& given) {
  if (in.loaded.scoring.empty()) return options;
  const auto& table = ForecastScoringOptions::table();
  const std::string where = "the model file's rnnkit.scoring";
  const nlohmann::json stored = nlohmann::json::parse(in.loaded.scoring, nullptr, false);
  if (stored.is_discarded()) throw Error(where + " is not JSON");
  ForecastScoringOptions run;
  options_from_json(run, table, stored, where);
  validate_options(run, table);
  nlohmann::json own = options_to_json(options, table);
  for (auto it = own.begin(); it != own.end();) it = given.count(it.key()) ? ++it : own.erase(it);
  options_from_json(run, table, own, "options");
  return run;
}

std::vector<ForecasterScores> compare_with_baselines(ForecastInputs& in,
                                                     const ForecastScoringOptions& options) {
  const ForecasterConfig& c = in.loaded.model->config();
  // Only the test part is forecast here; the validation part ends the MASE scale's steps.
  const SeriesSplit split =
      options.split(in.table.steps(), c.context, c.horizon, ValidationUse::Boundary);
  const RollingOriginOptions rolling{in.targets(), c.context, c.horizon, options.origin_step,
                                     options.season};
  std::vector<ForecasterScores> scores = {
      {"model", evaluate_rolling_origin(
                    in.table, split, rolling,
                    model_forecaster(*in.loaded.model, in.series, in.loaded.normalization))}};
  for (BaselineKind kind : {BaselineKind::Naive, BaselineKind::SeasonalNaive, BaselineKind::Drift})
    scores.push_back({baseline_name(kind),
                      evaluate_rolling_origin(in.table, split, rolling,
                                              baseline_forecaster(in.table, in.targets(), kind,
                                                                  c.horizon, options.season))});
  return scores;
}

nlohmann::json scores_json(const std::vector<ForecasterScores>& scores) {
  using json = nlohmann::json;
  const auto optional = [](const std::optional<double>& v) { return v ? json(*v) : json(); };
  json out = {{"origins", scores.at(0).report.origins}, {"forecasters", json::array()}};
  for (const ForecasterScores& s : scores) {
    json series = json::array();
    for (const SeriesScore& t : s.report.series)
      series.push_back({{"series", t.name},
                        {"count", t.metrics.count},
                        {"mae", t.metrics.mae},
                        {"rmse", t.metrics.rmse},
                        {"smape", optional(t.metrics.smape)},
                        {"mase", optional(t.metrics.mase)},
                        {"coverage", optional(t.coverage)}});
    out["forecasters"].push_back({{"forecaster", s.forecaster}, {"series", series}});
  }
  return out;
}

void check_future_given(const ForecasterConfig& c, bool given) {
  if (c.num_covariates > 0 && !given)
    throw Error("the model reads " + std::to_string(c.num_covariates) +
                " covariate(s); --future FILE must give them for the " + std::to_string(c.horizon) +
                " forecast steps");
  if (c.num_covariates == 0 && given)
    throw Error("the model reads no covariates; --future is not needed");
}

NextForecast forecast_next(ForecastInputs& in, const SeriesTable* future) {
  const ForecasterConfig& c = in.loaded.model->config();
  const int64_t K = c.num_targets, C = c.num_covariates, H = c.horizon, Q = c.outputs_per_target();
  check_future_given(c, future != nullptr);
  if (in.series.steps < c.context)
    throw Error("the series has " + counted(in.series.steps, "step", "steps") +
                "; the model forecasts from the last " + std::to_string(c.context) +
                " (its context)");
  // The covariates' columns of `future`, found by name (a table made elsewhere may hold them in
  // another order, or more columns).
  std::vector<const std::vector<double>*> ahead;
  for (const std::string& name : in.covariates()) {
    const auto column = static_cast<size_t>(future->index_of(name));
    if (column >= future->columns.size())
      throw Error("the future covariates name more series than they hold");
    ahead.push_back(&future->columns[column]);
    if (std::ssize(*ahead.back()) != H)
      throw Error("--future has " + std::to_string(ahead.back()->size()) + " rows of \"" + name +
                  "\", the horizon is " + std::to_string(H));
  }
  // The series with H more steps: covariates from `future`, targets 0 (predict() ignores them).
  ForecastSeries extended = in.series;
  for (int64_t j = 0; j < H; ++j)
    for (int64_t i = 0; i < K + C; ++i)
      extended.values.push_back(
          i < K ? 0.0f : in.loaded.normalization.model_input(i, (*ahead[i - K])[j], *future, j));
  extended.steps += H;
  const int64_t origins[] = {in.series.steps};
  Tensor outputs;  // [H, 1, K, Q]
  in.loaded.model->predict(make_forecast_batch(extended, origins, c.context, H), outputs);
  NextForecast next;
  for (int64_t j = 0; j < H; ++j)
    for (int64_t k = 0; k < K; ++k) {
      const float* values = outputs.data() + (j * K + k) * Q;
      const int64_t step = in.series.steps + j;
      next.forecast.point.push_back(
          in.loaded.normalization.model_output(k, values[c.point_index()], step));
      if (c.loss != ForecastLossKind::Quantile) continue;
      for (int64_t q = 0; q < Q; ++q)
        next.quantiles.push_back(in.loaded.normalization.model_output(k, values[q], step));
      next.forecast.lower.push_back(next.quantiles[(j * K + k) * Q]);
      next.forecast.upper.push_back(next.quantiles[(j * K + k) * Q + Q - 1]);
    }
  return next;
}

void write_forecast_plot(ForecastInputs& in, int64_t origin, int64_t history,
                         const std::string& path) {
  const ForecasterConfig& c = in.loaded.model->config();
  const int64_t K = c.num_targets, H = c.horizon;
  if (origin < c.context || origin + H > in.table.steps())
    throw Error("--origin " + std::to_string(origin) + " must be in [" + std::to_string(c.context) +
                ", " + std::to_string(in.table.steps() - H) + "]: the model reads " +
                std::to_string(c.context) + " steps before it and forecasts " + std::to_string(H) +
                " from it");
  const SeriesForecast f =
      model_forecaster(*in.loaded.model, in.series, in.loaded.normalization)(origin);
  const std::vector<std::string> targets = in.targets();
  LineChart chart;
  chart.title = "Forecast from step " + std::to_string(origin);
  chart.x_label = "step";
  chart.y_label = K == 1 ? targets[0] : "value";
  for (int64_t k = 0; k < K; ++k) {
    const std::string& name = targets[k];
    Series actual{name, {}, {}}, forecast{name + " forecast", {}, {}};
    for (int64_t t = std::max<int64_t>(0, origin - history); t < origin + H; ++t) {
      actual.x.push_back(static_cast<double>(t));
      actual.y.push_back(in.table.columns[k][t]);
    }
    Band band{f.lower.empty()
                  ? ""
                  : name + " " + c.quantile_name(0) + "-" + c.quantile_name(c.quantiles.size() - 1),
              {},
              {},
              {},
              chart.series.size() + 1};
    for (int64_t j = 0; j < H; ++j) {
      forecast.x.push_back(static_cast<double>(origin + j));
      forecast.y.push_back(f.point[j * K + k]);
      if (f.lower.empty()) continue;
      band.x.push_back(static_cast<double>(origin + j));
      band.lower.push_back(f.lower[j * K + k]);
      band.upper.push_back(f.upper[j * K + k]);
    }
    chart.series.push_back(std::move(actual));
    chart.series.push_back(std::move(forecast));
    if (!band.x.empty()) chart.bands.push_back(std::move(band));
  }
  write_line_chart(chart, path);
}

}  // namespace rnnkit
