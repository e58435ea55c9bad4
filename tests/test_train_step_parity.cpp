// One `rnnkit train` step from a PyTorch-made initial checkpoint on a given text (sequential
// batching, offset 0) must produce PyTorch's weights: SGD with clipping, and Adam.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>

#include "error_of.h"

#include "rnnkit/language_model_file.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/trainer.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;
using testing::error_of;

// Writes the initial checkpoint of a fixture, the fixture without its expected.* tensors, as
// dir/init.safetensors; returns options that train from it on the fixture's text.
TrainOptions from_initial_checkpoint(const SafetensorsFile& f, const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  NamedTensors initial;
  for (const auto& [name, t] : f.tensors)
    if (name.rfind("expected.", 0) != 0) initial.emplace_back(name, &t);
  std::map<std::string, std::string> metadata = {{"rnnkit.config", f.metadata.at("rnnkit.config")},
                                                 {"rnnkit.vocab", f.metadata.at("rnnkit.vocab")}};
  write_safetensors((dir / "init.safetensors").string(), initial, metadata);
  TrainOptions o;
  o.text_path = std::string(RNNKIT_FIXTURE_DIR) + "/train_step_text.txt";
  o.init_from = (dir / "init.safetensors").string();
  o.out_dir = (dir / "run").string();
  o.threads = 1;
  return o;
}

class TrainStepParity : public ::testing::TestWithParam<std::string> {};

TEST_P(TrainStepParity, MatchesPyTorch) {
  const std::string fixture =
      std::string(RNNKIT_FIXTURE_DIR) + "/train_step_" + GetParam() + ".safetensors";
  SafetensorsFile f = read_safetensors(fixture);
  const fs::path dir = fs::temp_directory_path() / ("rnnkit_train_step_" + GetParam());
  TrainOptions o = from_initial_checkpoint(f, dir);
  const auto train = nlohmann::json::parse(f.metadata.at("train"));
  o.batch = train.at("batch");
  o.bptt = train.at("bptt");
  o.sampling = "sequential";
  o.offset = 0;
  o.steps = 1;
  o.optimizer = train.at("optimizer");
  o.lr = train.at("lr");
  o.clip = train.at("clip").is_null() ? 0.0 : train.at("clip").get<double>();
  if (train.contains("betas")) {
    o.beta1 = train["betas"][0];
    o.beta2 = train["betas"][1];
    o.eps = train.at("eps");
  }
  TrainSummary summary = train_language_model(o);
  EXPECT_EQ(summary.steps, 1);

  LoadedLanguageModel trained = load_language_model(o.out_dir + "/last.safetensors");
  for (const auto& [name, t] : trained.model->state_dict()) {
    const Tensor& expected = f.tensors.at("expected." + name);
    ASSERT_EQ(t->numel(), expected.numel()) << name;
    double err = 0;
    for (int64_t i = 0; i < t->numel(); ++i)
      err = std::max(err, static_cast<double>(std::abs((*t)[i] - expected[i])));
    EXPECT_LE(err, 1e-5) << name;
  }
  const auto metrics_path = fs::path(o.out_dir) / "metrics.jsonl";
  EXPECT_TRUE(fs::exists(metrics_path));
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, TrainStepParity, ::testing::Values("sgd", "adam"));

// The checkpoint decides the model, its vocabulary and its dropout: an option that would shape
// them otherwise is refused by name, not ignored.
TEST(TrainInitFrom, OptionsTheCheckpointDecidesAreRefused) {
  const SafetensorsFile f =
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/train_step_sgd.safetensors");
  const fs::path dir = fs::temp_directory_path() / "rnnkit_train_init_from_options";
  const TrainOptions base = from_initial_checkpoint(f, dir);
  const std::pair<const char*, std::function<void(TrainOptions&)>> cases[] = {
      {"--dropout", [](TrainOptions& o) { o.dropout = 0.3; }},
      {"--hidden", [](TrainOptions& o) { o.hidden = 32; }},
      {"--cell", [](TrainOptions& o) { o.cell = "gru"; }},
      {"--tie-weights", [](TrainOptions& o) { o.tie_weights = true; }},
      {"--level", [](TrainOptions& o) { o.level = "word"; }},
      {"--lowercase", [](TrainOptions& o) { o.lowercase = true; }},
      {"--max-vocab", [](TrainOptions& o) { o.max_vocab = 3; }},
  };
  for (const auto& [flag, change] : cases) {
    TrainOptions o = base;
    o.steps = 1;
    change(o);
    const std::string message = error_of([&] { train_language_model(o); });
    EXPECT_EQ(message.rfind(std::string(flag) + " cannot be given with --init-from", 0), 0u)
        << message;
  }
  // Given at its default value (the command line's --hidden 256, a Python keyword), an option is
  // refused too: it would be overridden without a word. Given nothing, the checkpoint decides.
  TrainOptions o = base;
  o.steps = 1;
  o.batch = 2;
  o.bptt = 4;
  o.given = std::set<std::string>{"text_path", "init_from", "hidden"};
  const std::string message = error_of([&] { train_language_model(o); });
  EXPECT_EQ(message.rfind("--hidden cannot be given with --init-from", 0), 0u) << message;
  o.given->erase("hidden");
  EXPECT_EQ(train_language_model(o).steps, 1);
  fs::remove_all(dir);
}

// A held-out file replaces the text's split: a --valid-fraction given with it would do nothing,
// and a fresh run refuses it (a stored run is resumed as it is).
TEST(TrainOptionsCheck, AValidFractionBesideAHeldOutFileIsRefused) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_valid_and_fraction";
  fs::remove_all(dir);
  TrainOptions o;
  o.text_path = o.valid_path = std::string(RNNKIT_FIXTURE_DIR) + "/train_step_text.txt";
  o.out_dir = (dir / "run").string();
  o.batch = 2;
  o.bptt = 4;
  o.steps = 1;
  o.threads = 1;
  o.valid_fraction = 0.5;
  EXPECT_EQ(error_of([&] { train_language_model(o); }),
            "--valid-fraction splits the text, which --valid " + o.valid_path +
                " replaces as the held-out text: give one of them");
  o.valid_fraction = 0;
  o.given = std::set<std::string>{"text_path", "valid_path", "valid_fraction"};  // at 0
  EXPECT_NE(error_of([&] { train_language_model(o); }).find("--valid-fraction splits the text"),
            std::string::npos);
  o.given->erase("valid_fraction");
  EXPECT_EQ(error_of([&] { train_language_model(o); }), "(no error)");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
