// The forecast family on the training engine, through the library: its options, and a state.bin
// whose configuration lies, refused before a model is allocated from it.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rnnkit/error.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

ForecastTrainOptions tiny_options(const std::string& out) {
  ForecastTrainOptions o;
  o.data = std::string(RNNKIT_FIXTURE_DIR) + "/forecast/synthetic.csv";
  o.target = "sales";
  o.covariates = "promo";
  o.hidden = 4;
  o.steps = 3;
  o.valid_every = 3;
  o.threads = 1;
  o.out_dir = out;
  return o;
}

TEST(ForecastTraining, OptionsMakeTheModelConfiguration) {
  ForecastTrainOptions o = tiny_options("");
  o.loss = "quantile";
  o.quantiles = "0.05,0.5,0.95";
  o.head = "autoregressive";
  o.cell = "gru";
  const ForecasterConfig c = o.model_config();
  EXPECT_EQ(c.quantiles, (std::vector<float>{0.05f, 0.5f, 0.95f}));
  EXPECT_EQ(c.head, ForecastHead::Autoregressive);
  EXPECT_EQ(c.cell, CellKind::Gru);
  EXPECT_EQ(c.num_targets, 1);
  EXPECT_EQ(c.num_covariates, 1);
  EXPECT_EQ(c.hidden_size, 4);
  o.quantiles = "0.5,1.5";
  EXPECT_THROW(o.model_config(), Error);
}

TEST(ForecastTraining, QuantilesAreNamedByTheirExactPercents) {
  ForecasterConfig c;
  c.loss = ForecastLossKind::Quantile;
  c.quantiles = {0.025f, 0.1f, 0.5f, 0.9f, 0.975f};
  std::vector<std::string> names;
  for (size_t q = 0; q < c.quantiles.size(); ++q) names.push_back(c.quantile_name(q));
  EXPECT_EQ(names, (std::vector<std::string>{"p2.5", "p10", "p50", "p90", "p97.5"}));
  // The percents whose float products are not whole (100 * 0.3f is 30.000002), one digit, many
  // digits, and two neighbouring floats: each its own exact name.
  c.quantiles = {0.001f, 0.15f, 0.3f, 0.6f, 0.12345f, 0.12f, std::nextafter(0.12f, 1.0f)};
  names.clear();
  for (size_t q = 0; q < c.quantiles.size(); ++q) names.push_back(c.quantile_name(q));
  EXPECT_EQ(names, (std::vector<std::string>{"p0.1", "p15", "p30", "p60", "p12.345", "p12",
                                             "p12.0000005"}));
}

// Training requires 0.5; a file without it (another tool's) forecasts with the quantile nearest
// 0.5, the lower of two as near.
TEST(ForecasterConfig, ThePointForecastIsTheMedianOrTheNearestLowerQuantile) {
  ForecasterConfig c;
  c.loss = ForecastLossKind::Quantile;
  c.quantiles = {0.1f, 0.5f, 0.9f};
  EXPECT_EQ(c.point_index(), 1);
  c.quantiles = {0.1f, 0.4999991f, 0.5f, 0.9f};  // within the tie tolerance below 0.5
  EXPECT_EQ(c.point_index(), 2);
  c.quantiles = {0.1f, 0.4f, 0.6f, 0.9f};
  EXPECT_NO_THROW(c.validate());
  EXPECT_EQ(c.point_index(), 1);
  c.quantiles = {0.1f, 0.9f};
  EXPECT_EQ(c.point_index(), 0);
  c.quantiles = {0.2f, 0.45f};
  EXPECT_EQ(c.point_index(), 1);
}

TEST(ForecastTraining, ValidationFieldsAndLyingStateFile) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_forecast_training";
  fs::remove_all(dir);
  const TrainSummary s = train_forecaster(tiny_options((dir / "run").string()));
  EXPECT_EQ(s.steps, 3);
  ASSERT_TRUE(s.last_validation.contains("mae"));
  EXPECT_GT(s.last_validation["mae"].get<double>(), 0);
  EXPECT_GE(s.last_validation["rmse"].get<double>(), s.last_validation["mae"].get<double>());
  // The validation loss is the training loss's MSE of the normalised values: with the direct
  // head, (RMSE / scale)^2, the scale of sales over the training part being the fixture's
  // (tools/make_forecast_fixture.py).
  const double scale = 2.4091244932134575, rmse = s.last_validation["rmse"].get<double>();
  ASSERT_TRUE(s.last_validation.contains("valid_loss"));
  EXPECT_NEAR(s.last_validation["valid_loss"].get<double>(), (rmse / scale) * (rmse / scale),
              1e-5 * (rmse / scale) * (rmse / scale));

  const std::string state = (dir / "run" / "state.bin").string();
  SafetensorsFile f = read_safetensors(state);
  nlohmann::json c = nlohmann::json::parse(f.metadata.at("rnnkit.config"));
  c["hidden_size"] = 20000;
  f.metadata["rnnkit.config"] = c.dump();
  // Without its checksum, as a state written before there was one: the values meet their checks.
  f.metadata.erase("rnnkit.state_crc32");
  NamedTensors tensors;
  for (const auto& [name, t] : f.tensors) tensors.emplace_back(name, &t);
  write_safetensors(state, tensors, f.metadata);
  try {
    resume_training((dir / "run").string(), ResumeOverrides{.steps = 5});
    ADD_FAILURE() << "a configuration that lies was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_size (20000) does not match tensor"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

// The future covariates are found by name: another order or more columns give the same
// forecast; a missing or short one is an Error naming it.
TEST(ForecastNext, FutureCovariatesAreReadByName) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_forecast_next";
  fs::remove_all(dir);
  train_forecaster(tiny_options((dir / "run").string()));
  ForecastInputs in = load_forecast_inputs((dir / "run").string(), {tiny_options("").data});
  const std::vector<double> promo = {0, 1, 0, 0, 1, 0}, other = {5, 5, 5, 5, 5, 5};
  SeriesTable exact{{"promo"}, {promo}, {}, "future", false};
  SeriesTable reordered{{"other", "promo"}, {other, promo}, {}, "future", false};
  const std::vector<double> expected = forecast_next(in, &exact).forecast.point;
  EXPECT_EQ(forecast_next(in, &reordered).forecast.point, expected);
  SeriesTable other_only{{"other"}, {other}, {}, "future", false};
  EXPECT_THROW(forecast_next(in, &other_only), Error);
  SeriesTable short_promo{{"other", "promo"}, {other, {0, 1, 0}}, {}, "future", false};
  try {
    forecast_next(in, &short_promo);
    ADD_FAILURE() << "a short covariate was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 rows of \"promo\", the horizon is 6"),
              std::string::npos)
        << e.what();
  }
  SeriesTable names_only{{"promo"}, {}, {}, "future", false};
  EXPECT_THROW(forecast_next(in, &names_only), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
