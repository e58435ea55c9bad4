#include "rnnkit/forecaster.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>

#include "error_of.h"
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

// The window measured from its last context values, as ForecastLevel::Last measures it, and
// those values level [B, K].
ForecastBatch relative_to_last(const ForecastBatch& batch, const ForecasterConfig& c,
                               std::vector<float>& level) {
  const int64_t B = batch.batch(), K = c.num_targets, W = c.input_size();
  ForecastBatch relative = batch;
  level.assign(B * K, 0.0f);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k)
      level[b * K + k] = batch.context[((c.context - 1) * B + b) * W + k];
  for (int64_t t = 0; t < c.context; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k) relative.context[(t * B + b) * W + k] -= level[b * K + k];
  for (int64_t j = 0; j < c.horizon; ++j)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k) relative.targets[(j * B + b) * K + k] -= level[b * K + k];
  return relative;
}

// The level is data, not a parameter: the level model is the plain model (same weights) on the
// relative window, its outputs moved back by the level, exactly: loss, gradients, forward outputs
// and prediction (the autoregressive head feeds back its relative forecasts).
TEST(Forecaster, ALastLevelModelIsThePlainModelOnTheRelativeWindowExactly) {
  for (ForecastHead head : {ForecastHead::Direct, ForecastHead::Autoregressive}) {
    SCOPED_TRACE(forecast_head_name(head));
    ForecasterConfig c = small(head, ForecastLossKind::Quantile, CellKind::Lstm);
    Forecaster plain(c);
    Rng rng(11);
    plain.reset_parameters(rng);
    c.level = ForecastLevel::Last;
    Forecaster relative_model(c);
    std::map<std::string, Tensor> weights;
    for (auto& [name, tensor] : plain.state_dict()) weights.emplace(name, *tensor);
    relative_model.load_state_dict(weights);
    const ForecastBatch batch = random_batch(c, 3, rng);
    std::vector<float> level;
    const ForecastBatch relative = relative_to_last(batch, c, level);

    Tensor plain_out, level_out, plain_predicted, level_predicted;
    zero_grad(plain.parameters());
    zero_grad(relative_model.parameters());
    const LossResult a = plain.forward_backward(relative, true, true, nullptr, &plain_out);
    const LossResult b = relative_model.forward_backward(batch, true, true, nullptr, &level_out);
    EXPECT_EQ(a.loss_sum, b.loss_sum);
    const ParameterList pa = plain.parameters(), pb = relative_model.parameters();
    for (size_t i = 0; i < pa.size(); ++i)
      for (int64_t e = 0; e < pa[i]->grad.numel(); ++e)
        ASSERT_EQ(pa[i]->grad[e], pb[i]->grad[e]) << pa[i]->name;
    plain.predict(relative, plain_predicted);
    relative_model.predict(batch, level_predicted);
    const int64_t K = c.num_targets, Q = c.outputs_per_target();
    for (int64_t i = 0; i < level_out.numel(); ++i) {
      const int64_t k = i / Q % K, b = i / (K * Q) % 3;  // outputs [H, B, K, Q]
      const float l = level[b * K + k];
      EXPECT_EQ(level_out[i], plain_out[i] + l) << i;
      EXPECT_EQ(level_predicted[i], plain_predicted[i] + l) << i;
    }
  }
}

// What lets such a model follow a trend: a window moved up by d is forecast d higher.
TEST(Forecaster, ALastLevelModelMovesItsForecastWithTheWindow) {
  ForecasterConfig c = small(ForecastHead::Autoregressive, ForecastLossKind::Mse, CellKind::Gru);
  c.level = ForecastLevel::Last;
  Forecaster model(c);
  Rng rng(12);
  model.reset_parameters(rng);
  ForecastBatch batch = random_batch(c, 2, rng);
  Tensor before, after;
  model.predict(batch, before);
  const int64_t W = c.input_size();
  for (int64_t row = 0; row < c.context * 2; ++row)
    for (int64_t k = 0; k < c.num_targets; ++k) batch.context[row * W + k] += 3.0f;
  model.predict(batch, after);
  for (int64_t i = 0; i < after.numel(); ++i) EXPECT_NEAR(after[i], before[i] + 3.0f, 1e-5) << i;
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
  c.level = ForecastLevel::Last;
  const std::string json = c.to_json();
  EXPECT_NE(json.find("\"family\":\"forecast\""), std::string::npos);
  EXPECT_NE(json.find("\"level\":\"last\""), std::string::npos);
  const ForecasterConfig back = ForecasterConfig::from_json(json);
  EXPECT_EQ(back.to_json(), json);
  EXPECT_EQ(back.level, ForecastLevel::Last);
  EXPECT_EQ(testing::error_of([] { ForecasterConfig::from_json(R"({"family":"lm"})"); }),
            "not a forecasting model (family \"lm\")");
  // A language model's config (its file has rnnkit.config too) is named as not a forecaster's.
  EXPECT_EQ(testing::error_of([] { ForecasterConfig::from_json(R"({"cell":"lstm"})"); }),
            "not a forecasting model (its rnnkit.config has no \"family\")");
  // A file from before the option reads its levels as they are; an unknown level is an error.
  nlohmann::json old = nlohmann::json::parse(json);
  old.erase("level");
  EXPECT_EQ(ForecasterConfig::from_json(old.dump()).level, ForecastLevel::None);
  old["level"] = "mean";
  EXPECT_THROW(ForecasterConfig::from_json(old.dump()), Error);
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
