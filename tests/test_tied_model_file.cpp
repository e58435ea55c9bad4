// A model whose output layer is its embedding (tie_weights) stores the shared matrix once, as
// embedding.weight, and loads with the output tied to it again; a file with both names (as
// PyTorch's state_dict writes it) still loads, and a file without rnnkit.config is recognised as
// tied by the missing fc.weight.
#include <gtest/gtest.h>

#include <vector>

#include "rnnkit/language_model_file.h"
#include "rnnkit/rng.h"
#include "rnnkit/safetensors.h"
#include "temp_file.h"

namespace rnnkit {
namespace {

using testing::TempFile;

const LMConfig kTied{CellKind::Lstm, 13, 6, 6, 2, false, 0.0f, true};

std::vector<float> values(const Tensor& t) {
  return {t.data(), t.data() + t.numel()};
}

std::vector<float> logits_after(LanguageModel& model, int32_t token) {
  LMState state;
  Tensor logits;
  const std::vector<int32_t> ids = {token};
  model.step(ids, state, logits);
  return values(logits);
}

TEST(TiedModelFile, StoresTheSharedMatrixOnceAndLoadsItTiedAgain) {
  LanguageModel model(kTied);
  Rng rng(3);
  model.reset_parameters(rng);
  TempFile tied("tied"), untied("untied");
  save_language_model(tied.path(), model, nullptr);
  LMConfig plain = kTied;
  plain.tie_weights = false;
  LanguageModel separate(plain);
  separate.reset_parameters(rng);
  save_language_model(untied.path(), separate, nullptr);

  const SafetensorsFile file = read_safetensors(tied.path());
  EXPECT_TRUE(file.tensors.count("embedding.weight"));
  EXPECT_FALSE(file.tensors.count("fc.weight"));
  EXPECT_TRUE(read_safetensors(untied.path()).tensors.count("fc.weight"));

  LoadedLanguageModel loaded = load_language_model(tied.path());
  EXPECT_TRUE(loaded.model->config().tie_weights);
  std::map<std::string, const Tensor*> weights;
  for (const auto& [name, tensor] : loaded.model->state_dict()) weights[name] = tensor;
  EXPECT_EQ(values(*weights.at("fc.weight")), values(*weights.at("embedding.weight")));
  EXPECT_EQ(logits_after(*loaded.model, 4), logits_after(model, 4));
}

TEST(TiedModelFile, BothNamesAndNoConfigAlsoLoad) {
  LanguageModel model(kTied);
  Rng rng(5);
  model.reset_parameters(rng);
  TempFile both("both"), bare("bare");
  write_safetensors(both.path(), model.state_dict(), {{"rnnkit.config", kTied.to_json()}});
  write_safetensors(bare.path(), model.stored_state_dict(), {});
  for (const std::string& path : {both.path(), bare.path()}) {
    SCOPED_TRACE(path);
    LoadedLanguageModel loaded = load_language_model(path);
    EXPECT_TRUE(loaded.model->config().tie_weights);
    EXPECT_EQ(logits_after(*loaded.model, 7), logits_after(model, 7));
  }
}

}  // namespace
}  // namespace rnnkit
