// Parity with PyTorch: every lm_*.safetensors fixture (written by tools/make_fixtures.py from
// torch.nn modules) is loaded as a checkpoint, and rnnkit must reproduce its outputs, final
// states, loss and every gradient.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "lm_fixture.h"
#include "rnnkit/error.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;
using testing::ids_of;
using testing::parameters_only;
using testing::scaled_max_error;

std::vector<std::string> lm_fixtures() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(RNNKIT_FIXTURE_DIR)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("lm_", 0) == 0 && entry.path().extension() == ".safetensors")
      names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void expect_close(const Tensor& actual, const Tensor& expected, double tolerance,
                  const std::string& what) {
  ASSERT_EQ(actual.numel(), expected.numel())
      << what << ": " << actual.shape_string() << " vs " << expected.shape_string();
  EXPECT_LE(scaled_max_error(actual, expected), tolerance) << what;
}

class LMParity : public ::testing::TestWithParam<std::string> {};

TEST_P(LMParity, MatchesPyTorch) {
  const std::string path = std::string(RNNKIT_FIXTURE_DIR) + "/" + GetParam();
  SafetensorsFile f = read_safetensors(path);
  LanguageModel model(LMConfig::from_json(f.metadata.at("rnnkit.config")));
  model.load_state_dict(parameters_only(f.tensors));
  const auto& t = f.tensors;
  const Tensor& ids = t.at("input.ids");
  const int64_t T = ids.dim(0), B = ids.dim(1);
  const bool lstm = has_cell_state(model.config().cell);
  const bool given_state = t.count("input.h0") > 0;

  // Forward, composed from the model's own layers, to compare the intermediate outputs.
  TokenBatch batch{T, B, ids_of(ids), ids_of(t.at("input.targets"))};
  const int64_t in =
      model.config().embedding_dim ? model.config().embedding_dim : model.config().vocab_size;
  Tensor x({T, B, in}), y, hN, cN;
  if (model.embedding())
    model.embedding()->forward(batch.inputs, x.data());
  else
    one_hot(batch.inputs, model.config().vocab_size, x.data());
  model.rnn().forward(x, given_state ? &t.at("input.h0") : nullptr,
                      lstm && given_state ? &t.at("input.c0") : nullptr, y, &hN,
                      lstm ? &cN : nullptr, false, nullptr);
  expect_close(y, t.at("output.rnn"), 1e-5, "rnn output");
  expect_close(hN, t.at("output.hN"), 1e-5, "hN");
  if (lstm) expect_close(cN, t.at("output.cN"), 1e-5, "cN");
  Tensor logits({T, B, model.config().vocab_size});
  model.fc().forward(y.data(), y.dim(2), T * B, logits.data(), model.config().vocab_size);
  expect_close(logits, t.at("output.logits"), 1e-5, "logits");

  // Loss and every gradient through the training path (fused output layer and loss).
  for (Parameter* p : model.parameters()) p->grad.zero();
  LMState state;
  if (given_state) {
    state.h = t.at("input.h0");
    if (lstm) state.c = t.at("input.c0");
  }
  Tensor dh0, dc0;
  StateGradients edges{&t.at("input.dhN"), lstm ? &t.at("input.dcN") : nullptr,
                       given_state ? &dh0 : nullptr, lstm && given_state ? &dc0 : nullptr};
  LossResult loss = model.forward_backward(batch, state, false, true, nullptr, edges);
  EXPECT_NEAR(loss.mean(), t.at("output.loss")[0], 1e-5);
  expect_close(state.h, t.at("output.hN"), 1e-5, "hN after forward_backward");
  for (Parameter* p : model.parameters())
    expect_close(p->grad, t.at("grad." + p->name), 1e-4, "grad." + p->name);
  if (given_state) expect_close(dh0, t.at("grad.h0"), 1e-4, "grad.h0");
  if (lstm && given_state) expect_close(dc0, t.at("grad.c0"), 1e-4, "grad.c0");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, LMParity, ::testing::ValuesIn(lm_fixtures()),
                         [](const auto& info) {
                           std::string name = info.param.substr(
                               0, info.param.size() - std::string(".safetensors").size());
                           return name;
                         });

TEST(LMParity, CoversEveryCellLayerDirectionAndInput) {
  // 4 cells x 3 depths x 2 directions x 2 inputs, plus the tied and zero-state cases, plus the
  // LSTM with projections at 3 depths x 2 directions.
  EXPECT_GE(lm_fixtures().size(), 56u);
}

class StrictLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    SafetensorsFile f =
        read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/lm_lstm_l2_bi_emb.safetensors");
    config = LMConfig::from_json(f.metadata.at("rnnkit.config"));
    params = parameters_only(f.tensors);
  }
  void expect_load_error(const std::map<std::string, Tensor>& tensors,
                         const std::string& fragment) {
    LanguageModel model(config);
    try {
      model.load_state_dict(tensors);
      ADD_FAILURE() << "expected an error mentioning " << fragment;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  }
  LMConfig config;
  std::map<std::string, Tensor> params;
};

TEST_F(StrictLoad, NamesAMissingTensor) {
  params.erase("rnn.bias_hh_l1_reverse");
  expect_load_error(params, "rnn.bias_hh_l1_reverse");
}

TEST_F(StrictLoad, NamesAnUnexpectedTensor) {
  params["decoder.weight"] = Tensor({2, 2});
  expect_load_error(params, "decoder.weight");
}

TEST_F(StrictLoad, NamesAMisshapenTensor) {
  params["fc.weight"] = Tensor({3, 3});
  expect_load_error(params, "fc.weight");
}

TEST(InferConfig, RecoversTheFixtureConfiguration) {
  SafetensorsFile f =
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/lm_gru_l3_bi_onehot.safetensors");
  LMConfig stored = LMConfig::from_json(f.metadata.at("rnnkit.config"));
  LMConfig inferred = infer_lm_config(parameters_only(f.tensors));
  EXPECT_EQ(inferred.to_json(), stored.to_json());
}

TEST(InferConfig, AnEmbeddingThatIsNoMatrixIsAnErrorNamingIt) {
  std::map<std::string, Tensor> tensors = parameters_only(
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/lm_lstm_l2_uni_emb.safetensors")
          .tensors);
  for (const Shape& shape : {Shape{32}, Shape{1, 4, 8}, Shape{}}) {
    tensors["embedding.weight"] = Tensor(shape);
    try {
      infer_lm_config(tensors);
      ADD_FAILURE() << "accepted an embedding of shape " << shape_string(shape);
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("embedding.weight of shape " + shape_string(shape) +
                                           " is not a matrix"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace rnnkit
