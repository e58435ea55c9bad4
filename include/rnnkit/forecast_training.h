#pragma once
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "rnnkit/forecaster.h"
#include "rnnkit/rolling_evaluation.h"
#include "rnnkit/series_csv.h"
#include "rnnkit/series_split.h"
#include "rnnkit/train_options.h"
#include "rnnkit/trainer.h"

namespace rnnkit {

// The series a forecast reads: a CSV file and its fill policy for missing cells.
struct ForecastSeriesOptions {
  std::string data;
  std::string fill = "none";  // none | previous | linear
  static const OptionTable<ForecastSeriesOptions>& table();
};

// The chronological split (validation and test are the last steps) and how forecasts are scored.
struct ForecastScoringOptions {
  double valid_fraction = 0.1, test_fraction = 0.1;
  int64_t season = 12;      // m of seasonal naive and of the MASE scale (12: monthly)
  int64_t origin_step = 1;  // steps between rolling forecast origins
  static const OptionTable<ForecastScoringOptions>& table();
  SeriesSplit split(int64_t steps, int64_t context, int64_t horizon,
                    ValidationUse validation = ValidationUse::Forecast) const;
};

// `rnnkit forecast train`: a Forecaster on the training part's windows, validated by the MAE of
// its point forecasts on the validation part. Defaults suit a monthly series of a few hundred
// steps (two years of context, half a year ahead).
struct ForecastTrainOptions : EngineOptions,
                              ModelShapeOptions,
                              ForecastSeriesOptions,
                              ForecastScoringOptions {
  std::string target;      // comma-separated target columns
  std::string covariates;  // comma-separated columns known in advance ("" = none)
  int64_t context = 24, horizon = 6;
  std::string head = "direct";  // direct | autoregressive
  std::string loss = "mse";     // mse | mae | quantile
  std::string level = "none";   // none | last (ForecastLevel)
  std::string quantiles = "0.1,0.5,0.9";

  ForecastTrainOptions() {
    layers = 1;
    hidden = 32;
    epochs = 100;
    batch = 16;
    lr = 3e-3;
    clip = 1.0;
  }
  static const OptionTable<ForecastTrainOptions>& table();
  void validate() const;                  // Error naming the impossible option
  ForecasterConfig model_config() const;  // Error naming an impossible option
};

TrainSummary train_forecaster(const ForecastTrainOptions& options);

// A model with the series it forecasts: the table's columns are the model's inputs (targets
// first), `series` their normalised values.
struct ForecastInputs {
  LoadedForecaster loaded;
  SeriesTable table;
  ForecastSeries series;
  std::vector<std::string> targets() const;
  std::vector<std::string> covariates() const;
  // Makes `table` (columns: the model's input series in its order) the series forecast.
  void use_table(SeriesTable table);
};
ForecastInputs load_forecast_inputs(const std::string& model_path,
                                    const ForecastSeriesOptions& options);

// The model and the naive, seasonal naive and drift baselines, each scored by rolling origins on
// the test part (the model's row first).
struct ForecasterScores {
  std::string forecaster;
  RollingOriginReport report;
};
std::vector<ForecasterScores> compare_with_baselines(ForecastInputs& inputs,
                                                     const ForecastScoringOptions& options);
// The split, season and origin step of the run that trained the model (its file keeps them), but
// for the options named in `given` (JSON keys of ForecastScoringOptions::table()), which come
// from `options`; all of `options` for a model file without them. So a test part is the one the
// run held out, whatever fractions it trained with.
ForecastScoringOptions scoring_of_run(const ForecastInputs& inputs,
                                      const ForecastScoringOptions& options,
                                      const std::set<std::string>& given);
// The scores as `rnnkit forecast eval --json` prints them: {"origins": [...], "forecasters":
// [{"forecaster", "series": [{"series", "count", "mae", "rmse", "smape", "mase", "coverage"}]}]},
// null for a score that is undefined (sMAPE of zeros, MASE of a flat training part, coverage of
// a model without an interval).
nlohmann::json scores_json(const std::vector<ForecasterScores>& scores);

// The H steps after the last one; `future` holds the covariates of those steps (H rows), and
// may be empty for a model without covariates. Values in the series' units, [H, K] points and
// (quantile models) [H, K] bounds of the first and last quantile with the [H, K, Q] quantiles.
struct NextForecast {
  SeriesForecast forecast;
  std::vector<double> quantiles;  // [H, K, Q]; empty unless the loss is quantile
};
NextForecast forecast_next(ForecastInputs& inputs, const SeriesTable* future);
// Error unless future covariates are given exactly when the model reads some (before a file of
// them is read: a model without covariates would otherwise be told of its cells).
void check_future_given(const ForecasterConfig& config, bool given);

// A chart of the `history` steps before `origin`, the actual values of the H steps from it, the
// forecast and (quantile models) its interval band; PNG or SVG by the path's extension.
void write_forecast_plot(ForecastInputs& inputs, int64_t origin, int64_t history,
                         const std::string& path);

}  // namespace rnnkit
