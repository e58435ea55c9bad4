// LSTM with projections (torch.nn.LSTM(proj_size=P)) beyond the parity fixtures: the one-token
// generation path against PyTorch's logits, the file round trip, shape inference from a bare
// state_dict, and the refusal of a projection for a cell without one.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "lm_fixture.h"
#include "rnnkit/error.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/safetensors.h"
#include "temp_file.h"

namespace rnnkit {
namespace {

using testing::ids_of;
using testing::parameters_only;
using testing::scaled_max_error;

const std::string kFixture =
    std::string(RNNKIT_FIXTURE_DIR) + "/lm_lstm_proj_l3_uni_emb.safetensors";

using testing::TempFile;

// Rows [t, b] of a [T,B,F] tensor, for one stream b, as [T,F].
Tensor stream_rows(const Tensor& all, int64_t b) {
  const int64_t T = all.dim(0), B = all.dim(1), F = all.dim(2);
  Tensor out({T, F});
  for (int64_t t = 0; t < T; ++t)
    for (int64_t f = 0; f < F; ++f) out[t * F + f] = all[(t * B + b) * F + f];
  return out;
}

// One stream's slice [L,1,F] of a [L,B,F] state.
Tensor state_of_stream(const Tensor& all, int64_t b) {
  const int64_t L = all.dim(0), B = all.dim(1), F = all.dim(2);
  Tensor out({L, 1, F});
  for (int64_t l = 0; l < L; ++l)
    for (int64_t f = 0; f < F; ++f) out[l * F + f] = all[(l * B + b) * F + f];
  return out;
}

TEST(LstmProjection, OneTokenStepsGivePyTorchLogits) {
  SafetensorsFile f = read_safetensors(kFixture);
  LanguageModel model(LMConfig::from_json(f.metadata.at("rnnkit.config")));
  ASSERT_GT(model.config().proj_size, 0);
  model.load_state_dict(parameters_only(f.tensors));
  const Tensor& ids = f.tensors.at("input.ids");
  const int64_t T = ids.dim(0), B = ids.dim(1), V = model.config().vocab_size;
  const std::vector<int32_t> all_ids = ids_of(ids);
  for (int64_t b = 0; b < B; ++b) {
    // Batch 1 runs the generation path (SingleRowProduct for W_ih, W_hh and W_hr).
    LMState state{state_of_stream(f.tensors.at("input.h0"), b),
                  state_of_stream(f.tensors.at("input.c0"), b)};
    Tensor logits, all_logits({T, V});
    for (int64_t t = 0; t < T; ++t) {
      const int32_t id = all_ids[t * B + b];
      model.step({&id, 1}, state, logits);
      std::copy(logits.span().begin(), logits.span().end(), all_logits.data() + t * V);
    }
    EXPECT_LE(scaled_max_error(all_logits, stream_rows(f.tensors.at("output.logits"), b)), 1e-5)
        << "stream " << b;
    EXPECT_EQ(state.h.shape(), (Shape{3, 1, model.config().proj_size}));
    EXPECT_EQ(state.c.shape(), (Shape{3, 1, model.config().hidden_size}));
  }
}

TEST(LstmProjection, SavedFileLoadsBackWithTheSameOutput) {
  SafetensorsFile f = read_safetensors(kFixture);
  LanguageModel model(LMConfig::from_json(f.metadata.at("rnnkit.config")));
  model.load_state_dict(parameters_only(f.tensors));
  TempFile file("roundtrip.safetensors");
  save_language_model(file.path(), model, nullptr);

  SafetensorsFile saved = read_safetensors(file.path());
  EXPECT_EQ(saved.tensors.at("rnn.weight_hr_l2").shape(),
            (Shape{model.config().proj_size, model.config().hidden_size}));
  LoadedLanguageModel loaded = load_language_model(file.path());
  EXPECT_EQ(loaded.model->config().to_json(), model.config().to_json());
  const std::vector<int32_t> ids = {1, 4, 2};
  LMState a, b;
  Tensor logits_a, logits_b;
  for (int32_t id : ids) {
    model.step({&id, 1}, a, logits_a);
    loaded.model->step({&id, 1}, b, logits_b);
  }
  ASSERT_EQ(logits_a.shape(), logits_b.shape());
  for (int64_t i = 0; i < logits_a.numel(); ++i) EXPECT_EQ(logits_a[i], logits_b[i]);
}

TEST(LstmProjection, ConfigWithoutProjSizeMeansNone) {
  LMConfig c = LMConfig::from_json(R"({"cell": "lstm", "vocab_size": 5, "hidden_size": 4})");
  EXPECT_EQ(c.proj_size, 0);
  LanguageModel model(c);
  EXPECT_EQ(model.rnn().output_size(), 4);
}

TEST(LstmProjection, InferredFromAStateDict) {
  for (const char* name : {"lm_lstm_proj_l2_bi_onehot", "lm_lstm_proj_l3_uni_emb"}) {
    SafetensorsFile f =
        read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/" + name + ".safetensors");
    LMConfig inferred = infer_lm_config(parameters_only(f.tensors));
    EXPECT_EQ(inferred.to_json(), LMConfig::from_json(f.metadata.at("rnnkit.config")).to_json())
        << name;
  }
}

TEST(LstmProjection, RefusedForACellWithoutProjection) {
  SafetensorsFile f = read_safetensors(kFixture);
  LMConfig config = LMConfig::from_json(f.metadata.at("rnnkit.config"));
  config.cell = CellKind::Gru;
  std::string json = config.to_json();
  std::map<std::string, Tensor> params = parameters_only(f.tensors);
  NamedTensors named;
  for (const auto& [name, t] : params) named.emplace_back(name, &t);
  TempFile file("gru_proj.safetensors");
  write_safetensors(file.path(), named, {{"rnnkit.config", json}});
  try {
    load_language_model(file.path());
    ADD_FAILURE() << "a gru checkpoint with proj_size loaded";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(file.path()), std::string::npos) << message;
    EXPECT_NE(message.find("proj_size 3 needs the lstm cell, not gru"), std::string::npos)
        << message;
  }
}

TEST(LstmProjection, ProjSizeMustBeBelowHiddenSize) {
  LMConfig c{CellKind::Lstm, 5, 0, 4, 1, false, 0.0f, false, 4};
  EXPECT_THROW(LanguageModel{c}, Error);
  c.proj_size = -1;
  EXPECT_THROW(LanguageModel{c}, Error);
}

}  // namespace
}  // namespace rnnkit
