#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/option_flags.h"
#include "cli/text_inputs.h"
#include "cli/training_run.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/formatted.h"
#include "rnnkit/utf8.h"

namespace rnnkit::cli {
namespace {

std::string number(const std::optional<double>& v, int decimals = 4) {
  return v ? fixed_or_scientific(*v, decimals) : "-";
}

// Significant digits that show a forecast to the model's resolution: a float32 output resolves
// about a millionth of its series' scale, which 7 digits show for values within ten scales of 0;
// a series far from 0 (a level of 1e9 that moves by 1) needs the digits of its offset too.
int forecast_digits(double value, double scale) {
  const double scales = std::abs(value) / scale;
  return scales > 10 ? std::min(17, 6 + static_cast<int>(std::ceil(std::log10(scales)))) : 7;
}

void print_scores(const std::vector<ForecasterScores>& scores, bool as_json) {
  if (as_json) {
    std::cout << scores_json(scores).dump(2) << "\n";
    return;
  }
  const RollingOriginReport& report = scores[0].report;
  std::printf("%s from step %lld, %s per series\n",
              counted(std::ssize(report.origins), "origin", "origins").c_str(),
              static_cast<long long>(report.origins[0]),
              counted(report.series[0].metrics.count, "forecast value", "forecast values").c_str());
  // The series column as wide as its longest name on screen (CJK characters take two columns).
  size_t width = 10;
  for (const SeriesScore& t : report.series) width = std::max(width, utf8::display_width(t.name));
  const auto padded = [&](const std::string& name) {
    return name + std::string(width - utf8::display_width(name), ' ');
  };
  std::printf("%s %-16s %10s %10s %10s %10s %10s\n", padded("series").c_str(), "forecaster", "MAE",
              "RMSE", "sMAPE", "MASE", "coverage");
  for (size_t k = 0; k < report.series.size(); ++k)
    for (const ForecasterScores& s : scores) {
      const SeriesScore& t = s.report.series[k];
      std::printf("%s %-16s %10s %10s %10s %10s %10s\n", padded(t.name).c_str(),
                  s.forecaster.c_str(), number(t.metrics.mae).c_str(),
                  number(t.metrics.rmse).c_str(), number(t.metrics.smape, 3).c_str(),
                  number(t.metrics.mase).c_str(), number(t.coverage, 3).c_str());
    }
}

// future_path's missing cells are filled as --data's are (`fill`).
void print_next(ForecastInputs& in, const std::string& future_path, const std::string& fill) {
  const std::vector<std::string> targets = in.targets();
  std::unique_ptr<SeriesTable> future;
  check_future_given(in.loaded.model->config(), !future_path.empty());
  if (!future_path.empty()) {
    const auto& names = in.loaded.normalization.names;
    future = std::make_unique<SeriesTable>(read_series_csv(
        future_path, {"",
                      {names.begin() + static_cast<long>(targets.size()), names.end()},
                      parse_fill_policy(fill)}));
  }
  const NextForecast next = forecast_next(in, future.get());
  const ForecasterConfig& c = in.loaded.model->config();
  const size_t K = targets.size(), Q = next.quantiles.empty() ? 1 : c.quantiles.size();
  const std::vector<double>& scale = in.loaded.normalization.scale;  // the targets' first
  std::cout << "step";
  for (const std::string& name : targets)
    for (size_t q = 0; q < Q; ++q) {
      std::cout << "," << name;
      if (!next.quantiles.empty()) std::cout << "_" << c.quantile_name(q);
    }
  std::cout << "\n";
  for (int64_t j = 0; j < c.horizon; ++j) {
    std::cout << in.table.steps() + j;
    for (size_t k = 0; k < K; ++k)
      for (size_t q = 0; q < Q; ++q) {
        const double value = next.quantiles.empty() ? next.forecast.point[j * K + k]
                                                    : next.quantiles[(j * K + k) * Q + q];
        std::cout << "," << formatted("%.*g", forecast_digits(value, scale[k]), value);
      }
    std::cout << "\n";
  }
}

void setup_forecast(CLI::App& app) {
  auto t = std::make_shared<ForecastTrainOptions>();
  auto resume = std::make_shared<ResumeFlags>();
  CLI::App* train = app.add_subcommand("train", "Train a forecaster on a CSV time series");
  add_option_table(*train, *t, ForecastTrainOptions::table());
  add_resume_flag(*train, *resume);
  train->callback([train, t, resume] {
    const TrainSummary s =
        train_from_command_line(*train, *resume, "forecast", *t, &train_forecaster);
    print_run_files(s);
    exit_if_interrupted(s, "forecast train");
  });

  struct UseArgs {
    std::string model, future;
    std::vector<std::string> outputs;
    std::optional<int64_t> origin;
    int64_t history = 48;
    bool as_json = false;
    ForecastSeriesOptions series;
    ForecastScoringOptions scoring;
    RuntimeOptions runtime;
  };
  auto u = std::make_shared<UseArgs>();
  auto common = [u](CLI::App* command) {
    command->add_option("-m,--model", u->model, "model file or run directory")->required();
    add_option_table(*command, u->series, ForecastSeriesOptions::table());
    add_option_table(*command, u->runtime, RuntimeOptions::table());
  };
  auto load = [u] {
    apply_runtime(u->runtime);
    return load_forecast_inputs(u->model, u->series);
  };

  CLI::App* eval = app.add_subcommand(
      "eval",
      "Rolling-origin test scores of the model, naive, seasonal naive and drift (on the test part "
      "the training run held out: its split, season and origin step unless given here)");
  common(eval);
  add_option_table(*eval, u->scoring, ForecastScoringOptions::table());
  eval->add_flag("--json", u->as_json, "print the scores as JSON");
  eval->callback([eval, u, load] {
    ForecastInputs in = load();
    const ForecastScoringOptions scoring =
        scoring_of_run(in, u->scoring, given_options(*eval, ForecastScoringOptions::table()));
    print_scores(compare_with_baselines(in, scoring), u->as_json);
  });

  CLI::App* predict =
      app.add_subcommand("predict", "Forecast the steps after the series' end, as CSV");
  common(predict);
  predict->add_option("--future", u->future,
                      "CSV with the covariates of the forecast steps (models with covariates; "
                      "--fill fills its gaps too)");
  predict->callback([u, load] {
    ForecastInputs in = load();
    print_next(in, u->future, u->series.fill);
  });

  CLI::App* plot = app.add_subcommand(
      "plot", "Chart the history, the forecast and its interval against the actual values");
  common(plot);
  plot->add_option("--origin", u->origin, "first forecast step (default: the last horizon)");
  plot->add_option("--history", u->history, "steps shown before the origin")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{0}, int64_t{1} << 30));
  plot->add_option("-o,--out", u->outputs, "output files (.png, .svg)")->required();
  plot->callback([u, load] {
    ForecastInputs in = load();
    const int64_t origin = u->origin.value_or(in.table.steps() - in.loaded.model->config().horizon);
    for (const std::string& path : u->outputs) write_forecast_plot(in, origin, u->history, path);
  });
  app.require_subcommand(1);
}

const Registration registration({"forecast", "Train, score and use time-series forecasters",
                                 setup_forecast});

}  // namespace
}  // namespace rnnkit::cli
