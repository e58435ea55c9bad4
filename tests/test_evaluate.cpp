// Perplexity of a token stream against PyTorch (tests/fixtures/eval_*.safetensors, made by
// tools/make_fixtures.py: the whole stream as one sequence, and independent windows), and the
// error for a model whose outputs overflow, in the library and through `rnnkit eval`.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "error_of.h"
#include "lm_fixture.h"
#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/vocab.h"

namespace rnnkit {
namespace {

using testing::ids_of;

struct EvalFixture {
  std::unique_ptr<LanguageModel> model;
  std::vector<int32_t> ids;
  double cross_entropy = 0, window_cross_entropy = 0;
  int64_t window = 0;
};

EvalFixture load_eval_fixture(const std::string& stem) {
  SafetensorsFile f =
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/" + stem + ".safetensors");
  EvalFixture fx;
  fx.model = std::make_unique<LanguageModel>(LMConfig::from_json(f.metadata.at("rnnkit.config")));
  std::map<std::string, Tensor> params;
  for (const auto& [name, t] : f.tensors)
    if (name.rfind("input.", 0) && name.rfind("expected.", 0)) params[name] = t;
  fx.model->load_state_dict(params);
  fx.ids = ids_of(f.tensors.at("input.ids"));
  fx.cross_entropy = f.tensors.at("expected.cross_entropy")[0];
  fx.window_cross_entropy = f.tensors.at("expected.window_cross_entropy")[0];
  fx.window = nlohmann::json::parse(f.metadata.at("fixture")).at("window").get<int64_t>();
  return fx;
}

void expect_relative_near(double actual, double expected, const std::string& what) {
  EXPECT_LE(std::abs(actual - expected), 1e-5 * std::abs(expected))
      << what << ": " << actual << " vs PyTorch's " << expected;
}

class StreamParity : public ::testing::TestWithParam<std::string> {};

TEST_P(StreamParity, WholeStreamMatchesPyTorch) {
  EvalFixture fx = load_eval_fixture(GetParam());
  // The default chunk, chunks that do not divide the stream, and one token per chunk: the
  // chunking is invisible.
  for (int64_t chunk : {256, 64, 7, 1}) {
    Perplexity p = evaluate_stream(*fx.model, fx.ids, chunk);
    expect_relative_near(p.cross_entropy, fx.cross_entropy, "chunk " + std::to_string(chunk));
    EXPECT_EQ(p.tokens, static_cast<int64_t>(fx.ids.size()) - 1);
  }
}

TEST_P(StreamParity, WindowsMatchPyTorch) {
  EvalFixture fx = load_eval_fixture(GetParam());
  Perplexity p = evaluate_windows(*fx.model, fx.ids, fx.window);
  expect_relative_near(p.cross_entropy, fx.window_cross_entropy, "windows");
  EXPECT_EQ(p.tokens, static_cast<int64_t>(fx.ids.size()) - 1);
  // One window over the whole stream is the whole-stream reading.
  Perplexity one = evaluate_windows(*fx.model, fx.ids, static_cast<int64_t>(fx.ids.size()));
  expect_relative_near(one.cross_entropy, fx.cross_entropy, "a single window");
}

INSTANTIATE_TEST_SUITE_P(Fixtures, StreamParity,
                         ::testing::Values("eval_lstm_l2_bi_emb", "eval_gru_l3_bi_emb",
                                           "eval_rnn_tanh_l1_bi_onehot", "eval_lstm_l2_uni_emb"));

TEST(Evaluate, RejectsTooShortStreamsAndEmptyWindows) {
  EvalFixture fx = load_eval_fixture("eval_lstm_l2_uni_emb");
  const std::vector<int32_t> one = {3};
  EXPECT_THROW(evaluate_stream(*fx.model, one), Error);
  EXPECT_THROW(evaluate_windows(*fx.model, one, 5), Error);
  EXPECT_THROW(evaluate_windows(*fx.model, fx.ids, 0), Error);
  for (int64_t chunk : {0, -1})
    EXPECT_EQ(
        testing::error_of([&] { evaluate_stream(*fx.model, fx.ids, chunk); }),
        "evaluate_stream: the chunk must hold at least 1 token, got " + std::to_string(chunk));
}

// exp(709) is below the largest double, exp(710) beyond it: a finite mean cross-entropy of 710
// nats per token has no perplexity to report.
TEST(Evaluate, AReportedPerplexityThatOverflowsIsAnError) {
  EXPECT_DOUBLE_EQ(reported_perplexity({709.0, 3}), std::exp(709.0));
  try {
    reported_perplexity({710.0, 3});
    ADD_FAILURE() << "no error for a cross-entropy of 710 nats";
  } catch (const Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("the perplexity overflows: the mean cross-entropy is 710 "),
        std::string::npos)
        << e.what();
  }
}

// A relu RNN over one-hot input whose input weights for token 'e' are 1e38: the hidden state
// after reading the first 'e' is about 1e38 per unit, and the logits (4 units, fc weights 1)
// overflow to inf. "abcdabcdea...": the first 'e' is token 8, so token 9 is the first whose
// prediction is not finite.
const char* const kOverflowText = "abcdabcdeabcdeab";

std::unique_ptr<LanguageModel> overflowing_model(bool bidirectional) {
  auto model = std::make_unique<LanguageModel>(
      LMConfig{CellKind::RnnRelu, 5, 0, 4, 1, bidirectional, 0.0f, false});
  Rng rng(1);
  model->reset_parameters(rng);
  for (int64_t d = 0; d < model->rnn().directions(); ++d) {
    Tensor& w_ih = model->rnn().layer(0, d).weight_ih.value;  // [H, V]
    for (int64_t h = 0; h < 4; ++h) w_ih[h * 5 + 4] = 1e38f;
  }
  for (float& w : model->fc().weight().value.span()) w = 1.0f;
  return model;
}

Vocab letters_vocab() {
  return Vocab::from_tokens({"a", "b", "c", "d", "e"}, TokenLevel::Char, {}, {});
}

TEST(Evaluate, OverflowNamesTheFirstNonFiniteToken) {
  auto model = overflowing_model(false);
  const std::vector<int32_t> ids = letters_vocab().encode(kOverflowText);
  for (int64_t chunk : {256, 4}) {
    try {
      evaluate_stream(*model, ids, chunk);
      ADD_FAILURE() << "no error for chunk " << chunk;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("token 9 of the text"), std::string::npos) << e.what();
    }
  }
  try {
    evaluate_windows(*model, ids, 3);
    ADD_FAILURE() << "no error in windows";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token 9 of the text"), std::string::npos) << e.what();
  }
  // Bidirectional: the reverse direction reads the 'e' before the forward one does.
  EXPECT_THROW(evaluate_stream(*overflowing_model(true), ids), Error);
}

// Past 128 predictions the loss alone never stores the logits (linear_softmax_cross_entropy):
// a text whose first 'e' is token 160 still names token 161.
TEST(Evaluate, OverflowNamesTheFirstNonFiniteTokenOfALongText) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "abcd";
  text += "eabcdabcd";
  const std::vector<int32_t> ids = letters_vocab().encode(text);
  try {
    evaluate_stream(*overflowing_model(false), ids, 256);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("token 161 of the text"), std::string::npos) << e.what();
  }
}

#ifdef RNNKIT_CLI_PATH
// Runs a shell command; its exit status and what it printed on stdout and stderr.
std::pair<int, std::string> run_command(const std::string& command) {
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  std::string output;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(EvalCommand, OverflowIsAnErrorNotNan) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("rnnkit_eval_overflow_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string model_path = (dir / "model.safetensors").string();
  const std::string text_path = (dir / "text.txt").string();
  const Vocab vocab = letters_vocab();
  save_language_model(model_path, *overflowing_model(false), &vocab);
  std::ofstream(text_path) << kOverflowText;
  for (const std::string extra : {"", " --json", " --window 4"}) {
    auto [status, output] = run_command(std::string(RNNKIT_CLI_PATH) + " eval --model " +
                                        model_path + " --text " + text_path + extra);
    EXPECT_EQ(status, 1) << extra << ": " << output;
    // The error is all it prints: no perplexity line or JSON object before it.
    EXPECT_EQ(output.rfind("error: the model's outputs overflow", 0), 0u) << output;
    EXPECT_EQ(std::count(output.begin(), output.end(), '\n'), 1) << output;
    EXPECT_NE(output.find("token 9 of the text"), std::string::npos) << output;
  }
  std::filesystem::remove_all(dir);
}
#else
TEST(EvalCommand, OverflowIsAnErrorNotNan) {
  GTEST_SKIP() << "this build has no command line (the sanitized one); the release build runs it";
}
#endif

}  // namespace
}  // namespace rnnkit
