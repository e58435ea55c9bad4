#include "rnnkit/rolling_evaluation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "rnnkit/adam.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"

namespace rnnkit {
namespace {

TEST(ForecastBaselines, ValuesByHand) {
  const std::vector<double> history{1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(baseline_forecast(BaselineKind::Naive, history, 3, 1), (std::vector<double>{7, 7, 7}));
  // Period 3: the last season is (5, 6, 7), repeated.
  EXPECT_EQ(baseline_forecast(BaselineKind::SeasonalNaive, history, 5, 3),
            (std::vector<double>{5, 6, 7, 5, 6}));
  // Slope (7 - 1) / 6 = 1.
  EXPECT_EQ(baseline_forecast(BaselineKind::Drift, history, 2, 1), (std::vector<double>{8, 9}));
  EXPECT_THROW(baseline_forecast(BaselineKind::SeasonalNaive, history, 2, 8), Error);
  EXPECT_THROW(baseline_forecast(BaselineKind::Drift, std::vector<double>{1}, 2, 1), Error);
  EXPECT_THROW(baseline_forecast(BaselineKind::Naive, std::vector<double>{}, 2, 1), Error);
  EXPECT_EQ(parse_baseline("seasonal_naive"), BaselineKind::SeasonalNaive);
  EXPECT_THROW(parse_baseline("mean"), Error);
}

TEST(ForecastMetrics, ValuesByHand) {
  // Errors -1, 0, 2: MAE 1, RMSE sqrt(5/3), sMAPE (200/3 + 0 + 200 * 2/6) / 3, MASE 1 / 2.
  const PointMetrics m =
      point_metrics(std::vector<double>{1, 2, 4}, std::vector<double>{2, 2, 2}, 2);
  EXPECT_EQ(m.count, 3);
  EXPECT_DOUBLE_EQ(m.mae, 1);
  EXPECT_DOUBLE_EQ(m.rmse, std::sqrt(5.0 / 3));
  ASSERT_TRUE(m.smape.has_value());
  EXPECT_DOUBLE_EQ(*m.smape, (200.0 / 3 + 200.0 / 3) / 3);
  ASSERT_TRUE(m.mase.has_value());
  EXPECT_DOUBLE_EQ(*m.mase, 0.5);
  // In-sample {1, 5, 2, 6, 4}, m = 2: |2 - 1| + |6 - 5| + |4 - 2| = 4 over 3 steps.
  EXPECT_DOUBLE_EQ(seasonal_naive_scale(std::vector<double>{1, 5, 2, 6, 4}, 2), 4.0 / 3);
  EXPECT_THROW(seasonal_naive_scale(std::vector<double>{1, 5}, 2), Error);
  // A part that repeats itself exactly: scale 0, and MASE left out.
  EXPECT_EQ(seasonal_naive_scale(std::vector<double>{1, 5, 1, 5}, 2), 0.0);
  EXPECT_FALSE(point_metrics(std::vector<double>{1}, std::vector<double>{2}, 0).mase.has_value());
  EXPECT_THROW(point_metrics(std::vector<double>{1}, std::vector<double>{1, 2}, 1), Error);
}

TEST(ForecastMetrics, SmapeIsLeftOutForASeriesWithZeros) {
  const PointMetrics m = point_metrics(std::vector<double>{0, 2}, std::vector<double>{1, 2}, 1);
  EXPECT_FALSE(m.smape.has_value());
  EXPECT_DOUBLE_EQ(m.mae, 0.5);
}

TEST(ForecastMetrics, CoverageCountsActualsInsideTheInterval) {
  EXPECT_DOUBLE_EQ(
      interval_coverage(std::vector<double>{1, 2, 3, 4}, std::vector<double>{0, 2, 4, 0},
                        std::vector<double>{2, 2, 5, 3}),
      0.5);
}

const std::string kFixtures = std::string(RNNKIT_FIXTURE_DIR) + "/forecast/";

struct Synthetic {
  SeriesTable table;
  nlohmann::json expected;
  SeriesSplit split;
};

Synthetic load_synthetic(int64_t context) {
  Synthetic s;
  s.table = read_series_csv(kFixtures + "synthetic.csv", {"month", {"sales", "promo"}});
  s.expected = nlohmann::json::parse(read_file(kFixtures + "synthetic_expected.json"));
  s.split = split_series(s.table.steps(), s.expected["valid_steps"], s.expected["test_steps"],
                         context, s.expected["horizon"]);
  return s;
}

RollingOriginOptions options_of(const Synthetic& s, int64_t context) {
  return {{"sales"}, context, s.expected["horizon"], s.expected["every"], s.expected["period"]};
}

void expect_relative(double actual, double expected, const std::string& what) {
  EXPECT_NEAR(actual, expected, 1e-9 * std::abs(expected)) << what;
}

// Expected numbers from tools/make_forecast_fixture.py, computed in plain Python.
TEST(RollingOriginEvaluation, BaselinesOfTheSyntheticSeriesMatchTheIndependentValues) {
  const Synthetic s = load_synthetic(12);
  ASSERT_EQ(s.split.train_end, s.expected["train_steps"].get<int64_t>());
  const SeriesNormalization n =
      SeriesNormalization::fit(s.table, {"sales", "promo"}, s.split.train_end);
  for (int64_t i = 0; i < 2; ++i) {
    const auto& e = s.expected["normalization"][n.names[i]];
    expect_relative(n.mean[i], e["mean"], n.names[i] + " mean");
    expect_relative(n.scale[i], e["scale"], n.names[i] + " scale");
  }
  for (BaselineKind kind :
       {BaselineKind::Naive, BaselineKind::SeasonalNaive, BaselineKind::Drift}) {
    const std::string name = baseline_name(kind);
    const RollingOriginReport report = evaluate_rolling_origin(
        s.table, s.split, options_of(s, 12),
        baseline_forecaster(s.table, {"sales"}, kind, s.expected["horizon"], s.expected["period"]));
    EXPECT_EQ(report.origins, s.expected["origins"].get<std::vector<int64_t>>());
    ASSERT_EQ(report.series.size(), 1u);
    const PointMetrics& m = report.series[0].metrics;
    const auto& e = s.expected["baselines"][name];
    EXPECT_EQ(m.count, 24);
    expect_relative(m.mae, e["mae"], name + " mae");
    expect_relative(m.rmse, e["rmse"], name + " rmse");
    ASSERT_TRUE(m.smape.has_value());
    expect_relative(*m.smape, e["smape"], name + " smape");
    ASSERT_TRUE(m.mase.has_value());
    expect_relative(*m.mase, e["mase"], name + " mase");
    EXPECT_FALSE(report.series[0].coverage.has_value());
  }
}

TEST(RollingOriginEvaluation, CoverageCountsTheActualValuesInsideTheForecastIntervals) {
  // Intervals [y - 1, y + 2] at even steps and [y + 1, y + 2] (which misses y) at odd ones.
  const Synthetic s = load_synthetic(12);
  const std::vector<double>& sales = s.table.columns[s.table.index_of("sales")];
  const RollingOriginReport report =
      evaluate_rolling_origin(s.table, s.split, options_of(s, 12), [&](int64_t origin) {
        SeriesForecast f;
        for (int64_t t = origin; t < origin + 6; ++t) {
          f.point.push_back(sales[t]);
          f.lower.push_back(sales[t] + (t % 2 ? 1 : -1));
          f.upper.push_back(sales[t] + 2);
        }
        return f;
      });
  ASSERT_TRUE(report.series[0].coverage.has_value());
  EXPECT_DOUBLE_EQ(*report.series[0].coverage, 0.5);
  EXPECT_DOUBLE_EQ(report.series[0].metrics.mae, 0);
}

TEST(RollingOriginEvaluation, AForecastOfTheWrongSizeIsAnError) {
  const Synthetic s = load_synthetic(12);
  EXPECT_THROW(evaluate_rolling_origin(s.table, s.split, options_of(s, 12),
                                       [](int64_t) {
                                         return SeriesForecast{{1, 2}, {}, {}};
                                       }),
               Error);
}

// Plain Adam on all training windows (the test's own loop; training proper is the engine's).
void fit(Forecaster& model, const ForecastBatch& batch, int steps) {
  Adam adam(model.parameters(), {.lr = 2e-2});
  for (int step = 0; step < steps; ++step) {
    zero_grad(model.parameters());
    model.forward_backward(batch, true, true, nullptr);
    adam.step();
  }
}

// An overfit test: the model is scored on the last 48 steps of its own training part (rolling
// origins every 6 steps), where it must beat the seasonal naive forecast that knows the season.
// How well it generalises beyond the trend it saw is the engine's and the CLI's to measure.
TEST(RollingOriginEvaluation, AModelLearnsTheSyntheticSeriesBetterThanSeasonalNaive) {
  const int64_t context = 12, period = 12, in_sample_test = 48;
  const Synthetic s = load_synthetic(context);
  SeriesTable train_part = s.table;
  for (auto& column : train_part.columns) column.resize(s.split.train_end);
  const SeriesSplit in_sample = split_series(s.split.train_end, 0, in_sample_test, context, 6);
  const SeriesNormalization norm =
      SeriesNormalization::fit(train_part, {"sales", "promo"}, s.split.train_end);
  const ForecastSeries series = make_forecast_series(train_part, norm, 1);
  ForecasterConfig c;
  c.hidden_size = 16;
  c.context = context;
  c.horizon = 6;
  c.num_covariates = 1;
  const RollingOriginOptions options{{"sales"}, context, c.horizon, 6, period};
  const double seasonal_naive_mae =
      evaluate_rolling_origin(train_part, in_sample, options,
                              baseline_forecaster(train_part, {"sales"},
                                                  BaselineKind::SeasonalNaive, c.horizon, period))
          .series[0]
          .metrics.mae;
  const ForecastBatch train = make_forecast_batch(
      series, rolling_origins(context, s.split.train_end, context, c.horizon, 1), context,
      c.horizon);
  for (ForecastHead head : {ForecastHead::Direct, ForecastHead::Autoregressive}) {
    SCOPED_TRACE(forecast_head_name(head));
    c.head = head;
    Forecaster model(c);
    Rng rng(1);
    model.reset_parameters(rng);
    fit(model, train, 150);
    const RollingOriginReport report = evaluate_rolling_origin(
        train_part, in_sample, options, model_forecaster(model, series, norm));
    EXPECT_LT(report.series[0].metrics.mae, 0.75 * seasonal_naive_mae);
  }
  // p10/p50/p90: the median beats seasonal naive too, and the 80% interval covers most steps.
  c.head = ForecastHead::Direct;
  c.loss = ForecastLossKind::Quantile;
  Forecaster model(c);
  Rng rng(1);
  model.reset_parameters(rng);
  fit(model, train, 150);
  const RollingOriginReport report = evaluate_rolling_origin(train_part, in_sample, options,
                                                             model_forecaster(model, series, norm));
  EXPECT_LT(report.series[0].metrics.mae, 0.75 * seasonal_naive_mae);
  ASSERT_TRUE(report.series[0].coverage.has_value());
  EXPECT_GE(*report.series[0].coverage, 0.6);
  EXPECT_LE(*report.series[0].coverage, 1.0);
}

// tests/fixtures/forecast/trend.csv rises 0.3 a step (with a season and noise of sd 0.2). Trained
// on its first 120 steps, a model forecasts steps 160-199, all above every training value: the
// plain model, over normalised levels, stays near the range it saw; the model measured from each
// window's last value (ForecastLevel::Last) follows the trend.
TEST(RollingOriginEvaluation, ALastLevelModelExtrapolatesATrendWhereAPlainOneCannot) {
  const SeriesTable table = read_series_csv(kFixtures + "trend.csv", {"", {"level"}});
  const SeriesSplit split = split_series(table.steps(), 40, 40, 12, 6);
  ASSERT_EQ(split.train_end, 120);
  const SeriesNormalization norm = SeriesNormalization::fit(table, {"level"}, split.train_end);
  const ForecastSeries series = make_forecast_series(table, norm, 1);
  ForecasterConfig c;
  c.hidden_size = 16;
  c.context = 12;
  c.horizon = 6;
  const ForecastBatch train = make_forecast_batch(
      series, rolling_origins(c.context, split.train_end, c.context, c.horizon, 1), c.context,
      c.horizon);
  const RollingOriginOptions options{{"level"}, c.context, c.horizon, 6, 12};
  double mae[2];
  for (ForecastLevel level : {ForecastLevel::None, ForecastLevel::Last}) {
    c.level = level;
    Forecaster model(c);
    Rng rng(1);
    model.reset_parameters(rng);
    fit(model, train, 150);
    mae[level == ForecastLevel::Last] =
        evaluate_rolling_origin(table, split, options, model_forecaster(model, series, norm))
            .series[0]
            .metrics.mae;
  }
  EXPECT_LT(mae[1], 0.6) << "level last";
  EXPECT_GT(mae[0], 4.0) << "level none";
}

}  // namespace
}  // namespace rnnkit
