#include "rnnkit/forecaster.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

#include "gradient_check.h"
#include "rnnkit/error.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {
namespace {

ForecasterConfig small(ForecastHead head, ForecastLossKind loss, CellKind cell) {
  ForecasterConfig c;
  c.cell = cell;
  c.num_layers = 2;
  c.hidden_size = 5;
  c.context = 4;
  c.horizon = 3;
  c.head = head;
  c.loss = loss;
  c.num_targets = 2;
  c.num_covariates = 1;
  return c;
}

ForecastBatch random_batch(const ForecasterConfig& c, int64_t B, Rng& rng) {
  ForecastBatch batch{testing::random_tensor({c.context, B, c.input_size()}, rng),
                      testing::random_tensor({c.horizon, B, c.num_covariates}, rng),
                      testing::random_tensor({c.horizon, B, c.num_targets}, rng),
                      std::vector<int64_t>(B, 0)};
  return batch;
}

void check_gradients(const ForecasterConfig& c) {
  Forecaster model(c);
  Rng rng(3);
  model.reset_parameters(rng);
  const ForecastBatch batch = random_batch(c, 3, rng);
  zero_grad(model.parameters());
  model.forward_backward(batch, true, true, nullptr);
  std::vector<testing::GradientCase> cases;
  for (Parameter* p : model.parameters()) cases.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(
      [&] { return model.forward_backward(batch, false, false, nullptr).mean(); }, cases, 10);
}

TEST(Forecaster, GradientsOfBothHeadsAndAllLossesMatchFiniteDifferences) {
  for (ForecastHead head : {ForecastHead::Direct, ForecastHead::Autoregressive})
    for (ForecastLossKind loss :
         {ForecastLossKind::Mse, ForecastLossKind::Mae, ForecastLossKind::Quantile}) {
      SCOPED_TRACE(forecast_head_name(head) + " " + forecast_loss_name(loss));
      check_gradients(small(head, loss, CellKind::Lstm));
    }
  SCOPED_TRACE("gru");
  check_gradients(small(ForecastHead::Autoregressive, ForecastLossKind::Mse, CellKind::Gru));
  check_gradients(small(ForecastHead::Direct, ForecastLossKind::Quantile, CellKind::Gru));
}

TEST(Forecaster, ParametersCarryPyTorchNames) {
  Forecaster direct(small(ForecastHead::Direct, ForecastLossKind::Quantile, CellKind::Lstm));
  std::vector<std::string> names;
  for (Parameter* p : direct.parameters()) names.push_back(p->name);
  EXPECT_EQ(names.front(), "encoder.weight_ih_l0");
  EXPECT_EQ(names.back(), "head.bias");
  // head: [hidden + H*C] -> [H*K*Q] = [5 + 3] -> [3 * 2 * 3]
  EXPECT_EQ(direct.parameters().back()->value.shape(), (Shape{18}));
  Forecaster ar(small(ForecastHead::Autoregressive, ForecastLossKind::Mse, CellKind::Gru));
  int decoder = 0;
  for (Parameter* p : ar.parameters()) decoder += p->name.starts_with("decoder.");
  EXPECT_EQ(decoder, 8);  // two layers of weight_ih, weight_hh, bias_ih, bias_hh
}

TEST(Forecaster, DirectPredictionEqualsTheForwardPass) {
  const ForecasterConfig c = small(ForecastHead::Direct, ForecastLossKind::Mae, CellKind::Lstm);
  Forecaster model(c);
  Rng rng(8);
  model.reset_parameters(rng);
  ForecastBatch batch = random_batch(c, 2, rng);
  Tensor forward, predicted;
  model.forward_backward(batch, false, false, nullptr, &forward);
  batch.targets = Tensor();  // prediction must not read the targets
  model.predict(batch, predicted);
  ASSERT_EQ(predicted.shape(), (Shape{3, 2, 2, 1}));
  for (int64_t i = 0; i < forward.numel(); ++i) EXPECT_EQ(predicted[i], forward[i]);
}

TEST(Forecaster, AutoregressivePredictionFeedsBackItsOwnPointForecasts) {
  // Teacher forcing with the model's own point forecasts as the targets reproduces prediction;
  // with other targets only the first step (which reads the context) agrees.
  ForecasterConfig c =
      small(ForecastHead::Autoregressive, ForecastLossKind::Quantile, CellKind::Lstm);
  Forecaster model(c);
  Rng rng(9);
  model.reset_parameters(rng);
  ForecastBatch batch = random_batch(c, 2, rng);
  Tensor predicted, forced;
  model.predict(batch, predicted);
  const int64_t K = c.num_targets, Q = c.outputs_per_target(), rows = c.horizon * 2 * K;
  ASSERT_EQ(c.point_index(), 1);
  model.forward_backward(batch, false, false, nullptr, &forced);
  for (int64_t i = 0; i < 2 * K * Q; ++i) EXPECT_NEAR(forced[i], predicted[i], 1e-6);
  EXPECT_NE(forced[rows * Q - 1], predicted[rows * Q - 1]);
  for (int64_t i = 0; i < rows; ++i) batch.targets[i] = predicted[i * Q + 1];
  model.forward_backward(batch, false, false, nullptr, &forced);
  for (int64_t i = 0; i < forced.numel(); ++i) EXPECT_NEAR(forced[i], predicted[i], 1e-6);
}

TEST(Forecaster, BadConfigurationsAndBatchesAreErrors) {
  ForecasterConfig c = small(ForecastHead::Direct, ForecastLossKind::Quantile, CellKind::Lstm);
  c.quantiles = {0.5f, 0.1f};
  EXPECT_THROW(Forecaster{c}, Error);
  c.quantiles = {0.0f, 0.5f};
  EXPECT_THROW(Forecaster{c}, Error);
  c.quantiles = {};
  EXPECT_THROW(Forecaster{c}, Error);
  c = small(ForecastHead::Direct, ForecastLossKind::Mse, CellKind::Lstm);
  c.horizon = 0;
  EXPECT_THROW(Forecaster{c}, Error);
  c.horizon = 3;
  Forecaster model(c);
  Rng rng(1);
  ForecastBatch batch = random_batch(c, 2, rng);
  batch.context = Tensor({5, 2, 3});  // context 5, the model reads 4
  EXPECT_THROW(model.forward_backward(batch, false, false, nullptr), Error);
  EXPECT_THROW(parse_forecast_head("recursive"), Error);
}

TEST(Forecaster, ConfigRoundTripsThroughJsonWithItsFamily) {
  ForecasterConfig c =
      small(ForecastHead::Autoregressive, ForecastLossKind::Quantile, CellKind::Gru);
  c.quantiles = {0.05f, 0.5f, 0.95f};
  c.dropout = 0.25f;
  const std::string json = c.to_json();
  EXPECT_NE(json.find("\"family\":\"forecast\""), std::string::npos);
  const ForecasterConfig back = ForecasterConfig::from_json(json);
  EXPECT_EQ(back.to_json(), json);
  EXPECT_THROW(ForecasterConfig::from_json(R"({"family":"lm"})"), Error);
}

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("rnnkit_forecaster_" + std::to_string(getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

TEST(Forecaster, SaveAndLoadKeepTheForecastsAndTheNormalisation) {
  const ForecasterConfig c =
      small(ForecastHead::Autoregressive, ForecastLossKind::Quantile, CellKind::Lstm);
  Forecaster model(c);
  Rng rng(4);
  model.reset_parameters(rng);
  const SeriesNormalization norm{{"a", "b", "x"}, {1, 2, 3}, {0.5, 4, 8}};
  TempDir dir;
  const std::string file = (dir.path / "m.safetensors").string();
  save_forecaster(file, model, norm);
  const LoadedForecaster loaded = load_forecaster(dir.path.string() + "/m.safetensors");
  EXPECT_EQ(loaded.model->config().to_json(), c.to_json());
  EXPECT_EQ(loaded.normalization.scale, norm.scale);
  const ForecastBatch batch = random_batch(c, 2, rng);
  Tensor a, b;
  model.predict(batch, a);
  loaded.model->predict(batch, b);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a[i], b[i]);
  EXPECT_THROW(save_forecaster(file, model, SeriesNormalization{{"a"}, {0}, {1}}), Error);

  // Strict loading: a missing tensor, an extra one, another family.
  SafetensorsFile contents = read_safetensors(file);
  const auto rewrite = [&](const std::map<std::string, Tensor>& tensors,
                           std::map<std::string, std::string> metadata) {
    NamedTensors named;
    for (const auto& [name, t] : tensors) named.emplace_back(name, &t);
    write_safetensors(file, named, metadata);
  };
  auto fewer = contents.tensors;
  fewer.erase("head.bias");
  rewrite(fewer, contents.metadata);
  EXPECT_THROW(load_forecaster(file), Error);
  auto more = contents.tensors;
  more["extra"] = Tensor({1});
  rewrite(more, contents.metadata);
  EXPECT_THROW(load_forecaster(file), Error);
  auto lm = contents.metadata;
  lm["rnnkit.config"] = R"({"family":"lm","cell":"lstm"})";
  rewrite(contents.tensors, lm);
  EXPECT_THROW(load_forecaster(file), Error);
  auto lying = contents.metadata;  // a configuration whose sizes the tensors do not have
  lying["rnnkit.config"] = [&] {
    ForecasterConfig big = c;
    big.hidden_size = 20000;
    return big.to_json();
  }();
  rewrite(contents.tensors, lying);
  EXPECT_THROW(load_forecaster(file), Error);
  auto no_norm = contents.metadata;
  no_norm.erase("rnnkit.normalization");
  rewrite(contents.tensors, no_norm);
  EXPECT_THROW(load_forecaster(file), Error);
}

}  // namespace
}  // namespace rnnkit
