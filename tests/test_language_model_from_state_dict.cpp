// language_model_from_state_dict: a model from a PyTorch state_dict, its configuration inferred
// from the shapes or claimed and checked against them.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>

#include "error_of.h"
#include "rnnkit/error.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/rng.h"

namespace rnnkit {
namespace {

LMConfig two_layer_gru() {
  LMConfig c;
  c.cell = CellKind::Gru;
  c.vocab_size = 5;
  c.embedding_dim = 3;
  c.hidden_size = 4;
  c.num_layers = 2;
  c.bidirectional = true;
  return c;
}

std::map<std::string, Tensor> random_state_dict(const LMConfig& config) {
  LanguageModel model(config);
  Rng rng(7);
  model.reset_parameters(rng);
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, tensor] : model.state_dict()) tensors.emplace(name, *tensor);
  return tensors;
}

TEST(LanguageModelFromStateDict, InfersTheConfigurationAndHoldsTheTensors) {
  const std::map<std::string, Tensor> tensors = random_state_dict(two_layer_gru());
  auto model = language_model_from_state_dict(tensors, std::nullopt);
  EXPECT_EQ(model->config().to_json(), two_layer_gru().to_json());
  const auto held = model->state_dict();
  ASSERT_EQ(held.size(), tensors.size());
  for (const auto& [name, tensor] : held) {
    const Tensor& given = tensors.at(name);
    EXPECT_TRUE(std::ranges::equal(tensor->span(), given.span())) << name;
  }
}

TEST(LanguageModelFromStateDict, AClaimedConfigurationIsCheckedAgainstTheTensors) {
  const std::map<std::string, Tensor> tensors = random_state_dict(two_layer_gru());
  LMConfig claimed = two_layer_gru();
  claimed.dropout = 0.25f;  // not in the shapes: the claim decides
  EXPECT_EQ(language_model_from_state_dict(tensors, claimed)->config().dropout, 0.25f);
  claimed.hidden_size = 6;
  try {
    language_model_from_state_dict(tensors, claimed);
    FAIL() << "a claim the tensors contradict was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("hidden_size 6 but the tensors hold 4"), std::string::npos)
        << e.what();
  }
  // A claim of 1 layer may be a config that left the key out (older files): the message says so.
  claimed = two_layer_gru();
  claimed.num_layers = 1;
  EXPECT_NE(testing::error_of([&] { language_model_from_state_dict(tensors, claimed); })
                .find("rnnkit.config says num_layers 1 (or leaves it out, which means 1) but the "
                      "tensors hold 2"),
            std::string::npos);
  claimed = two_layer_gru();
  claimed.bidirectional = false;
  try {
    language_model_from_state_dict(tensors, claimed);
    FAIL() << "a unidirectional claim of bidirectional tensors was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rnnkit.config says bidirectional false but the tensors "
                                         "are those of a bidirectional model"),
              std::string::npos)
        << e.what();
  }
}

// A W_hh whose rows are no whole number of gates for any cell: with a configuration given, the
// error names the tensor against it (not that a configuration could not be inferred).
TEST(LanguageModelFromStateDict, TensorsThatFitNoConfigurationAreNamedAgainstTheClaim) {
  std::map<std::string, Tensor> tensors = random_state_dict(two_layer_gru());
  tensors.at("rnn.weight_hh_l0") = Tensor({13, 4});
  EXPECT_EQ(testing::error_of([&] { language_model_from_state_dict(tensors, two_layer_gru()); }),
            "tensor rnn.weight_hh_l0 has shape [13, 4] but the configuration's model expects "
            "[12, 4]");
}

// A matrix stored transposed (the same bytes, another shape) is named with the shape the claimed
// configuration gives it, where inferring sizes from it would blame the configuration or another
// tensor.
TEST(LanguageModelFromStateDict, ATransposedMatrixIsNamedAgainstTheClaim) {
  for (const char* name : {"fc.weight", "embedding.weight", "rnn.weight_hh_l0"}) {
    std::map<std::string, Tensor> tensors = random_state_dict(two_layer_gru());
    const Tensor& right = tensors.at(name);
    const Shape shape = right.shape();
    tensors.at(name) = Tensor({shape[1], shape[0]});
    EXPECT_EQ(testing::error_of([&] { language_model_from_state_dict(tensors, two_layer_gru()); }),
              "tensor " + std::string(name) + " has shape " + shape_string({shape[1], shape[0]}) +
                  " but the configuration's model expects " + shape_string(shape));
  }
}

// An untied model whose output matrix is missing: with its configuration given the error names
// the tensor against it; without, it says the configuration could not be inferred.
TEST(LanguageModelFromStateDict, AMissingOutputMatrixIsNamedInItsContext) {
  std::map<std::string, Tensor> tensors = random_state_dict(two_layer_gru());
  tensors.erase("fc.weight");
  const std::pair<std::optional<LMConfig>, std::string> cases[] = {
      {two_layer_gru(), "no tensor fc.weight, which rnnkit.config's model has"},
      {std::nullopt, "cannot infer the model configuration: no tensor fc.weight"}};
  for (const auto& [claimed, expected] : cases) {
    try {
      language_model_from_state_dict(tensors, claimed);
      FAIL() << "a model without fc.weight was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()), expected);
    }
  }
}

// The tensor that is missing is named, not one that seems extra or a size read from another.
TEST(LanguageModelFromStateDict, TheMissingTensorIsTheOneNamed) {
  const auto error_for = [](std::map<std::string, Tensor> tensors, const std::string& missing,
                            const std::optional<LMConfig>& claimed) {
    tensors.erase(missing);
    return testing::error_of([&] { language_model_from_state_dict(tensors, claimed); });
  };
  // A layer's weight: the layers are counted from every rnn.*_lK name (by rnn.weight_hh_lK
  // alone, the second layer's biases were "unexpected").
  for (const char* missing : {"rnn.weight_hh_l1", "rnn.weight_ih_l1_reverse"}) {
    const std::string message =
        error_for(random_state_dict(two_layer_gru()), missing, std::nullopt);
    EXPECT_EQ(message, std::string("checkpoint lacks tensor ") + missing);
  }
  // A projection's W_hr, which the claimed configuration has (the cell was "not inferable").
  LMConfig projected = two_layer_gru();
  projected.cell = CellKind::Lstm;
  projected.proj_size = 3;
  EXPECT_EQ(error_for(random_state_dict(projected), "rnn.weight_hr_l0", projected),
            "no tensor rnn.weight_hr_l0, which rnnkit.config's model has");
  // A tied model stored under fc.weight: the embedding is missing, with or without a claim.
  LMConfig tied = two_layer_gru();
  tied.bidirectional = false;
  tied.embedding_dim = 4;
  tied.tie_weights = true;
  std::map<std::string, Tensor> as_fc = random_state_dict(tied);
  as_fc.emplace("fc.weight", as_fc.at("embedding.weight"));
  EXPECT_EQ(error_for(as_fc, "embedding.weight", tied),
            "no tensor embedding.weight, which rnnkit.config's model has");
  EXPECT_EQ(error_for(as_fc, "embedding.weight", std::nullopt),
            "cannot infer the model configuration: no tensor embedding.weight: "
            "rnn.weight_ih_l0 reads 4 inputs, not the 5 one-hot ones of the vocabulary (a tied "
            "model stores its output matrix once, as embedding.weight)");
}

// A PyTorch model made with bias=False has no bias tensors: the error says what to add, with
// its configuration inferred or claimed.
TEST(LanguageModelFromStateDict, AModelWithoutBiasesIsToldWhatToAdd) {
  for (const char* missing : {"rnn.bias_ih_l0", "fc.bias"}) {
    std::map<std::string, Tensor> tensors = random_state_dict(two_layer_gru());
    tensors.erase(missing);
    for (const auto& claimed : {std::optional<LMConfig>(), std::optional(two_layer_gru())}) {
      try {
        language_model_from_state_dict(tensors, claimed);
        FAIL() << "a state_dict without " << missing << " was accepted";
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(std::string("checkpoint lacks tensor ") + missing +
                                             " (rnnkit's layers all have biases: a PyTorch model "
                                             "made with bias=False loads once zero biases"),
                  std::string::npos)
            << e.what();
      }
    }
  }
}

}  // namespace
}  // namespace rnnkit
