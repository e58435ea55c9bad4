#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "error_of.h"
#include "rnnkit/classifier.h"
#include "rnnkit/forecaster.h"
#include "rnnkit/language_model.h"
#include "rnnkit/seq2seq.h"

namespace rnnkit {
namespace {

using testing::error_of;

// `json` with `key` set to `value`, dumped.
std::string with(const std::string& json, const std::string& key, const nlohmann::json& value) {
  nlohmann::json j = nlohmann::json::parse(json);
  j[key] = value;
  return j.dump();
}

// `config` reads back from its own JSON, and the same JSON with a key it does not read is refused
// naming the key after `what`.
template <class Config>
void expect_an_extra_key_refused(const Config& config, const std::string& what) {
  EXPECT_NO_THROW(Config::from_json(config.to_json()));
  EXPECT_EQ(error_of([&] {
              Config::from_json(with(config.to_json(), "extra", 1));
            }).rfind(what + " has \"extra\"", 0),
            0u);
}

// A relu RNN described in PyTorch's words ("rnn" is torch.nn.RNN, tanh unless the nonlinearity
// says otherwise) must not run as a tanh RNN: the key rnnkit does not read is refused by name.
TEST(ModelConfigJson, ALanguageModelConfigWithAKeyRnnkitDoesNotReadIsRefused) {
  const std::string relu =
      R"({"cell": "rnn", "nonlinearity": "relu", "vocab_size": 5, "hidden_size": 4})";
  EXPECT_EQ(error_of([&] { LMConfig::from_json(relu); }),
            "model config has \"nonlinearity\", which rnnkit does not read (it reads "
            "bidirectional, cell, dropout, embedding_dim, hidden_size, num_layers, proj_size, "
            "tie_weights, vocab_size); a plain RNN's nonlinearity is its cell, \"rnn_tanh\" or "
            "\"rnn_relu\"");
  const std::string plain = R"({"cell": "rnn_relu", "vocab_size": 5, "hidden_size": 4})";
  EXPECT_EQ(LMConfig::from_json(plain).cell, CellKind::RnnRelu);
  EXPECT_EQ(error_of([&] {
              LMConfig::from_json(with(plain, "tied", true));
            }).rfind("model config has \"tied\", which rnnkit does not read", 0),
            0u);
}

// nlohmann::json keeps the last of two equal keys; a configuration saying two things is refused.
TEST(ModelConfigJson, ARepeatedKeyIsRefused) {
  EXPECT_EQ(error_of([] {
              LMConfig::from_json(
                  R"({"cell": "rnn_relu", "cell": "rnn_tanh", "vocab_size": 5, "hidden_size": 4})");
            }),
            "model config: duplicate key 'cell'");
  const std::string broken = error_of([] { LMConfig::from_json(R"({"cell": "lstm")"); });
  EXPECT_EQ(broken.rfind("model config is not valid JSON: parse error at line 1, column 16", 0), 0u)
      << broken;
}

// A size above 2^63 - 1 is out of range as written, not wrapped into a negative one ("got -1").
TEST(ModelConfigJson, AnIntegerBeyondInt64IsOutOfRangeAsWritten) {
  EXPECT_EQ(error_of([] {
              LMConfig::from_json(
                  R"({"cell": "lstm", "vocab_size": 18446744073709551615, "hidden_size": 4})");
            }),
            "model config: \"vocab_size\" is out of range: 18446744073709551615");
}

TEST(ModelConfigJson, EveryFamilyRefusesKeysItDoesNotRead) {
  LMConfig lm;
  lm.vocab_size = 5;
  lm.hidden_size = 4;
  EXPECT_NO_THROW(LMConfig::from_json(lm.to_json()));
  EXPECT_THROW(LMConfig::from_json(with(lm.to_json(), "extra", 1)), Error);

  ClassifierConfig classifier;
  classifier.vocab_size = 5;
  classifier.hidden_size = 4;
  classifier.num_classes = 3;
  expect_an_extra_key_refused(classifier, "classifier config");

  Seq2seqConfig seq2seq;
  seq2seq.vocab_size = 5;
  seq2seq.embedding_dim = 3;
  seq2seq.hidden_size = 4;
  seq2seq.max_answer_length = 6;
  expect_an_extra_key_refused(seq2seq, "seq2seq config");

  ForecasterConfig forecaster;
  forecaster.hidden_size = 4;
  forecaster.context = 3;
  forecaster.horizon = 2;
  forecaster.num_targets = 1;
  expect_an_extra_key_refused(forecaster, "forecast config");
  // Quantiles mean something only to a quantile loss.
  forecaster.loss = ForecastLossKind::Mse;
  EXPECT_THROW(ForecasterConfig::from_json(with(forecaster.to_json(), "quantiles", {0.5})), Error);
}

}  // namespace
}  // namespace rnnkit
