#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/forecast_windows.h"
#include "rnnkit/series_split.h"

namespace rnnkit {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(SeriesSplit, ValidationAndTestAreTheLastParts) {
  const SeriesSplit s = split_series(100, 10, 20, 12, 6);
  EXPECT_EQ(s.train_end, 70);
  EXPECT_EQ(s.valid_end, 80);
  EXPECT_EQ(s.test_steps(), 20);
  EXPECT_EQ(steps_of_fraction(100, 0.15), 15);
  EXPECT_THROW(steps_of_fraction(100, 1.0), Error);
}

TEST(SeriesSplit, ASeriesShorterThanContextPlusHorizonIsAnError) {
  EXPECT_NE(error_of([] {
              split_series(17, 0, 0, 12, 6);
            }).find("training part has 17, shorter than context + horizon = 18"),
            std::string::npos);
  EXPECT_NO_THROW(split_series(18, 0, 0, 12, 6));
  EXPECT_NE(error_of([] {
              split_series(40, 0, 5, 12, 6);
            }).find("the test part has 5 steps, fewer than the horizon 6"),
            std::string::npos);
  EXPECT_THROW(split_series(40, 0, 6, 0, 6), Error);
  // A validation part shorter than the horizon is refused where it is forecast, not where it only
  // ends the steps the MASE scale is measured on (forecast eval).
  EXPECT_NE(error_of([] {
              split_series(40, 2, 6, 12, 6);
            }).find("the validation part has 2 steps, fewer than the horizon 6"),
            std::string::npos);
  EXPECT_EQ(split_series(40, 2, 6, 12, 6, ValidationUse::Boundary).valid_end, 34);
  // Fractions that take more than the series say so, not that a training part of -32 is short.
  EXPECT_EQ(error_of([] { split_series(40, 36, 36, 12, 6); }),
            "the series has 40 steps; after 36 validation and 36 test steps nothing is left to "
            "train on: the validation and test fractions take more than the whole series");
  EXPECT_NE(error_of([] { split_series(1, 0, 0, 1, 1); }).find("the series has 1 step;"),
            std::string::npos);
}

TEST(SeriesSplit, RollingOriginsAdvanceByTheirStepWhileTheHorizonFits) {
  EXPECT_EQ(rolling_origins(20, 33, 5, 4, 3), (std::vector<int64_t>{20, 23, 26, 29}));
  EXPECT_EQ(rolling_origins(20, 23, 5, 4, 3), (std::vector<int64_t>{}));
  EXPECT_THROW(rolling_origins(4, 33, 5, 4, 3), Error);  // origin 4 has 4 context steps
  EXPECT_THROW(rolling_origins(20, 33, 5, 4, 0), Error);
}

SeriesTable table_of(std::vector<std::string> names, std::vector<std::vector<double>> columns) {
  SeriesTable t;
  t.names = std::move(names);
  t.columns = std::move(columns);
  return t;
}

TEST(SeriesNormalization, FitsOnTheTrainingPartOnlyAndRoundTrips) {
  // Training part {1, 2, 3, 6}: mean 3, population variance (4 + 1 + 0 + 9) / 4 = 3.5.
  const SeriesTable t = table_of({"y", "x"}, {{1, 2, 3, 6, 1000}, {0, 1, 0, 1, -50}});
  const SeriesNormalization n = SeriesNormalization::fit(t, {"y", "x"}, 4);
  ASSERT_EQ(n.names, (std::vector<std::string>{"y", "x"}));
  EXPECT_DOUBLE_EQ(n.mean[0], 3);
  EXPECT_DOUBLE_EQ(n.scale[0], std::sqrt(3.5));
  EXPECT_DOUBLE_EQ(n.mean[1], 0.5);
  EXPECT_DOUBLE_EQ(n.scale[1], 0.5);
  EXPECT_DOUBLE_EQ(n.normalize(1, 1.0), 1.0);
  for (double v : {-7.25, 0.0, 3.0, 1000.0})
    EXPECT_NEAR(n.denormalize(0, n.normalize(0, v)), v, 1e-12);
  const SeriesNormalization back = SeriesNormalization::from_json(n.to_json());
  EXPECT_EQ(back.names, n.names);
  EXPECT_EQ(back.mean, n.mean);
  EXPECT_EQ(back.scale, n.scale);
}

TEST(SeriesNormalization, AConstantSeriesIsAnErrorNamingIt) {
  const SeriesTable t = table_of({"y", "flat"}, {{1, 2, 3, 4}, {5, 5, 5, 9}});
  EXPECT_NE(error_of([&] {
              SeriesNormalization::fit(t, {"y", "flat"}, 3);
            }).find("series \"flat\" is constant over the training part"),
            std::string::npos);
  EXPECT_NO_THROW(SeriesNormalization::fit(t, {"y", "flat"}, 4));
  // The message gives the value as it is, not rounded to six decimals.
  const SeriesTable small_flat = table_of({"c"}, {{2.5e-12, 2.5e-12, 2.5e-12}});
  EXPECT_NE(error_of([&] { SeriesNormalization::fit(small_flat, {"c"}, 3); }).find("all 2.5e-12)"),
            std::string::npos);
}

// A series that varies within the sums' rounding of its level is named for what it is, not
// called constant; values of 1e-300 whose squares underflow still have their spread.
TEST(SeriesNormalization, ASpreadLostInTheLevelIsNamedAndTinyValuesKeepTheirs) {
  const SeriesTable level = table_of({"y"}, {{1e15 + 7, 1e15 + 10, 1e15 + 13}});
  const std::string message = error_of([&] { SeriesNormalization::fit(level, {"y"}, 3); });
  EXPECT_NE(
      message.find("series \"y\" varies too little over the training part (3 steps) to be "
                   "normalised: its spread 2.45 is below 1e-12 of its mean 1.00000000000001e+15"),
      std::string::npos)
      << message;
  const SeriesTable tiny = table_of({"c"}, {{1e-300, 3e-300, 1e-300, 3e-300}});
  const SeriesNormalization n = SeriesNormalization::fit(tiny, {"c"}, 4);
  EXPECT_DOUBLE_EQ(n.mean[0], 2e-300);
  EXPECT_DOUBLE_EQ(n.scale[0], 1e-300);
}

// A value too far from the training data to be read is named by its file's line, in %g.
TEST(SeriesNormalization, AnUnreadableValueIsNamedByItsLine) {
  const SeriesTable t = parse_series_csv("y\n1\n2\n1e40\n", "s.csv", SeriesCsvOptions{});
  const SeriesNormalization n = SeriesNormalization::fit(t, {"y"}, 2);
  EXPECT_EQ(error_of([&] { make_forecast_series(t, n, 1); }),
            "s.csv, line 4, \"y\": the value 1e+40 is too far from the training data's mean 1.5 "
            "(spread 0.5) for the model to read");
}

// Small values have their own scale: picofarads that vary by a third are not constant.
TEST(SeriesNormalization, ASeriesOfSmallValuesIsNotConstant) {
  const SeriesTable t = table_of({"c"}, {{2e-12, 3e-12, 4e-12, 3e-12}});
  const SeriesNormalization n = SeriesNormalization::fit(t, {"c"}, 4);
  EXPECT_DOUBLE_EQ(n.mean[0], 3e-12);
  EXPECT_DOUBLE_EQ(n.scale[0], std::sqrt(0.5e-24));
  EXPECT_NEAR(n.normalize(0, 4e-12), std::sqrt(2.0), 1e-9);
}

// One value of 1e308 overflows the spread (its mean does not): refused when fitted, not written
// into a model file that nothing can load.
TEST(SeriesNormalization, ASeriesWhoseSpreadOverflowsIsAnErrorNamingIt) {
  const SeriesTable t = table_of({"y", "huge"}, {{1, 2, 3, 4}, {1, 2, 3, 1e308}});
  EXPECT_NE(error_of([&] {
              SeriesNormalization::fit(t, {"y", "huge"}, 4);
            }).find("series \"huge\" is too large to normalise"),
            std::string::npos);
  EXPECT_NO_THROW(SeriesNormalization::fit(t, {"y"}, 4));
}

TEST(SeriesNormalization, MalformedMetadataIsAnError) {
  EXPECT_THROW(SeriesNormalization::from_json("[]"), Error);
  EXPECT_THROW(SeriesNormalization::from_json(R"({"names":["a"],"mean":[0],"scale":[]})"), Error);
  EXPECT_THROW(SeriesNormalization::from_json(R"({"names":["a"],"mean":[0],"scale":[0]})"), Error);
}

TEST(ForecastWindows, ContextHorizonAndCovariatesComeFromTheRightSteps) {
  // y_t = t, x_t = 100 + t, normalised with mean 0 and scale 1 so values are visible as is.
  const SeriesTable t =
      table_of({"y", "x"}, {{0, 1, 2, 3, 4, 5, 6, 7}, {100, 101, 102, 103, 104, 105, 106, 107}});
  const SeriesNormalization identity{{"y", "x"}, {0, 0}, {1, 1}};
  const ForecastSeries s = make_forecast_series(t, identity, 1);
  ASSERT_EQ(s.width(), 2);
  const int64_t origins[] = {3, 5};
  const ForecastBatch b = make_forecast_batch(s, origins, 3, 2);
  ASSERT_EQ(b.context.shape(), (Shape{3, 2, 2}));
  ASSERT_EQ(b.future_covariates.shape(), (Shape{2, 2, 1}));
  ASSERT_EQ(b.targets.shape(), (Shape{2, 2, 1}));
  // context[t, b] = (y, x) at step origin - 3 + t
  EXPECT_EQ(std::vector<float>(b.context.span().begin(), b.context.span().end()),
            (std::vector<float>{0, 100, 2, 102, 1, 101, 3, 103, 2, 102, 4, 104}));
  EXPECT_EQ(std::vector<float>(b.targets.span().begin(), b.targets.span().end()),
            (std::vector<float>{3, 5, 4, 6}));
  EXPECT_EQ(
      std::vector<float>(b.future_covariates.span().begin(), b.future_covariates.span().end()),
      (std::vector<float>{103, 105, 104, 106}));
  const int64_t too_late[] = {7};
  EXPECT_NE(error_of([&] {
              make_forecast_batch(s, too_late, 3, 2);
            }).find("origin 7 needs steps [4, 9) of a series of 8"),
            std::string::npos);
  const int64_t too_early[] = {2};
  EXPECT_THROW(make_forecast_batch(s, too_early, 3, 2), Error);
  ForecastSeries cut = s;  // fewer values than its steps say: refused, never read past the end
  cut.values.resize(cut.values.size() - 1);
  const int64_t fits[] = {4};
  EXPECT_NE(error_of([&] { make_forecast_batch(cut, fits, 3, 2); }).find("not its 8 steps x"),
            std::string::npos);
}

TEST(ForecastWindows, SeriesAreNormalisedInTheNormalisationsOrder) {
  const SeriesTable t = table_of({"x", "y"}, {{1, 3}, {10, 20}});
  const SeriesNormalization n{{"y", "x"}, {10, 1}, {2, 4}};
  const ForecastSeries s = make_forecast_series(t, n, 1);
  EXPECT_EQ(s.values, (std::vector<float>{0, 0, 5, 0.5f}));
  EXPECT_THROW(make_forecast_series(t, n, 3), Error);
}

}  // namespace
}  // namespace rnnkit
