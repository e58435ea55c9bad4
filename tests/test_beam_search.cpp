#include "rnnkit/beam_search.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

#include "error_of.h"
#include "exhaustive_search.h"
#include "rnnkit/error.h"
#include "rnnkit/rng.h"
#include "rnnkit/text_generator.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

using testing::bigram_model;
using testing::char_vocab;
using testing::exhaustive_best;
using testing::log_probs;
using testing::log_softmax_double;
using testing::random_model;
using Ids = std::vector<int32_t>;

// --- The search on its own, over decoders whose next token may depend on the whole prefix ---

// A decoder given by a function prefix -> logits [V]. Its hypotheses are the prefixes themselves;
// it records the batch width of every step().
class FunctionDecoder final : public BeamDecoder {
 public:
  using LogitsAfter = std::function<std::vector<float>(const Ids&)>;
  explicit FunctionDecoder(LogitsAfter logits_after)
      : logits_after_(std::move(logits_after)), prefixes_(1) {  // the empty prefix
    compute();
  }

  const Tensor& logits() const override { return logits_; }
  void reorder(std::span<const int32_t> parents) override {
    std::vector<Ids> next;
    for (int32_t p : parents) next.push_back(prefixes_.at(static_cast<size_t>(p)));
    prefixes_ = std::move(next);
  }
  void step(std::span<const int32_t> tokens) override {
    EXPECT_EQ(tokens.size(), prefixes_.size());
    for (size_t i = 0; i < tokens.size(); ++i) prefixes_[i].push_back(tokens[i]);
    step_widths.push_back(static_cast<int64_t>(tokens.size()));
    compute();
  }

  std::vector<int64_t> step_widths;

 private:
  void compute() {
    const int64_t B = static_cast<int64_t>(prefixes_.size());
    std::vector<float> values;
    for (const Ids& prefix : prefixes_) {
      const std::vector<float> row = logits_after_(prefix);
      values.insert(values.end(), row.begin(), row.end());
    }
    logits_ = Tensor::from({B, static_cast<int64_t>(values.size()) / B}, values);
  }

  LogitsAfter logits_after_;
  std::vector<Ids> prefixes_;
  Tensor logits_;
};

// Logits of V tokens drawn afresh for every prefix (a hash of it seeds the draw); token 0 gets
// `eos_bias` added, so that some searches end at it and others do not.
FunctionDecoder::LogitsAfter random_tree(int64_t V, uint64_t seed, float eos_bias) {
  return [=](const Ids& prefix) {
    uint64_t key = seed;
    for (int32_t t : prefix) key = key * 1000003u + static_cast<uint64_t>(t) + 1;
    Rng rng(key);
    std::vector<float> logits;
    for (int64_t v = 0; v < V; ++v) logits.push_back(3.0f * rng.normal());
    logits[0] += eos_bias;
    return logits;
  };
}

TEST(BeamSearchRules, BeamOfVToTheNIsExhaustive) {
  // V = 4 tokens (0 is eos when there is one), sequences of up to N = 3: a beam of 4^3 = 64 keeps
  // every prefix, so it must return the best of all sequences, scored here one by one.
  constexpr int64_t V = 4, N = 3;
  const std::vector<uint8_t> no_token_2 = {1, 1, 0, 1};
  int ended = 0, full = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    for (std::optional<int32_t> eos : {std::optional<int32_t>{}, std::optional<int32_t>{0}}) {
      for (std::span<const uint8_t> allowed :
           {std::span<const uint8_t>{}, std::span<const uint8_t>(no_token_2)}) {
        const auto tree = random_tree(V, seed, -1.0f);
        const auto expected = exhaustive_best(
            N, eos, allowed, [&](const Ids& prefix) { return log_softmax_double(tree(prefix)); });
        FunctionDecoder decoder(tree);
        const BeamHypothesis beam = beam_search(decoder, {64, N, eos, allowed});
        EXPECT_EQ(beam.tokens, expected.tokens) << "seed " << seed;
        EXPECT_NEAR(beam.log_prob, expected.log_prob, 1e-5) << "seed " << seed;
        EXPECT_EQ(beam.ended_at_eos, expected.ended_at_eos) << "seed " << seed;
        (expected.ended_at_eos ? ended : full) += 1;
      }
    }
  }
  // Both ways of finishing were compared.
  EXPECT_GT(ended, 10);
  EXPECT_GT(full, 10);
}

TEST(BeamSearchRules, WidthOneIsGreedy) {
  constexpr int64_t V = 5, N = 6;
  int ended = 0;
  for (uint64_t seed = 1; seed <= 30; ++seed) {
    const auto tree = random_tree(V, seed, 0.0f);
    // Greedy decoding: the most likely token at every step (the lower id among equals).
    Ids greedy;
    bool greedy_ended = false;
    while (static_cast<int64_t>(greedy.size()) < N) {
      const std::vector<float> logits = tree(greedy);
      const auto id =
          static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      if (id == 0) {
        greedy_ended = true;
        break;
      }
      greedy.push_back(id);
    }
    FunctionDecoder decoder(tree);
    const BeamHypothesis beam = beam_search(decoder, {1, N, 0, {}});
    EXPECT_EQ(beam.tokens, greedy) << "seed " << seed;
    EXPECT_EQ(beam.ended_at_eos, greedy_ended) << "seed " << seed;
    ended += greedy_ended;
  }
  EXPECT_GT(ended, 0);
  EXPECT_LT(ended, 30);
}

TEST(BeamSearchRules, DropsHypothesesThatCannotBeatAFinishedOne) {
  // Tokens eos a b c. First step: a 0.5, eos 0.4, b and c 0.05. b and c (and every continuation
  // of a, at most 0.5 * 0.3) score below the finished eos: only a is extended, once.
  FunctionDecoder decoder([](const Ids& prefix) {
    return prefix.empty() ? log_probs({0.4f, 0.5f, 0.05f, 0.05f})
                          : log_probs({0.1f, 0.3f, 0.3f, 0.3f});
  });
  const BeamHypothesis beam = beam_search(decoder, {4, 3, 0, {}});
  EXPECT_TRUE(beam.ended_at_eos);
  EXPECT_TRUE(beam.tokens.empty());
  EXPECT_NEAR(beam.log_prob, std::log(0.4), 1e-6);
  EXPECT_EQ(decoder.step_widths, (std::vector<int64_t>{1}));
}

TEST(BeamSearchRules, StopsWhenNoLongerWanted) {
  // Asked before each step after the first: wanted twice, then not, so the search made exactly
  // two steps and gives up with no tokens (it would run to 10 otherwise).
  FunctionDecoder decoder(random_tree(4, 7, -100.0f));
  int asked = 0;
  const BeamSearchOptions options{3, 10, 0, {}};
  const BeamHypothesis beam = beam_search(decoder, options, [&] { return ++asked <= 2; });
  EXPECT_TRUE(beam.abandoned);
  EXPECT_TRUE(beam.tokens.empty());
  EXPECT_EQ(asked, 3);
  EXPECT_EQ(decoder.step_widths.size(), 2u);
  // Always wanted: the whole search.
  FunctionDecoder whole(random_tree(4, 7, -100.0f));
  const BeamHypothesis full = beam_search(whole, options, [] { return true; });
  EXPECT_FALSE(full.abandoned);
  EXPECT_EQ(full.tokens.size(), 10u);
}

TEST(BeamSearchRules, NeedsOneRowOfLogits) {
  FunctionDecoder decoder([](const Ids&) { return std::vector<float>{0.0f, 1.0f}; });
  decoder.reorder(std::vector<int32_t>{0, 0});
  decoder.step(std::vector<int32_t>{1, 0});
  EXPECT_THROW(beam_search(decoder, {2, 3, {}, {}}), Error);
}

TEST(BeamSearchRules, NamesANanOrInfiniteLogitOfAnAllowedToken) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  FunctionDecoder nan_decoder([&](const Ids&) { return std::vector<float>{0.0f, nan, 1.0f}; });
  EXPECT_EQ(testing::error_of([&] {
              beam_search(nan_decoder, {2, 3, {}, {}});
            }),
            "the logit of token id 1 is nan: logits must be finite (or -inf); the model's outputs "
            "overflow (are its weights finite and sane?)");
  FunctionDecoder inf_decoder([&](const Ids&) { return std::vector<float>{inf, 0.0f, 1.0f}; });
  EXPECT_NE(testing::error_of([&] {
              beam_search(inf_decoder, {2, 3, {}, {}});
            }).find("the logit of token id 0 is inf"),
            std::string::npos);
  // A token the mask leaves out still enters the row's normalisation: named too, not blamed on
  // the mask.
  FunctionDecoder masked([&](const Ids&) { return std::vector<float>{0.0f, nan, 1.0f}; });
  const std::vector<uint8_t> allowed = {1, 0, 1};
  EXPECT_NE(testing::error_of([&] {
              beam_search(masked, {2, 2, {}, allowed});
            }).find("the logit of token id 1 is nan"),
            std::string::npos);
}

// --- Language models ------------------------------------------------------------------------

struct Primed {
  LMState state;
  Tensor logits;
};

Primed prime(LanguageModel& model, std::vector<int32_t> ids) {
  Primed p;
  prime_state(model, ids, p.state, p.logits);
  return p;
}

// Tokens 0..5 = s a b c d e. From s: a 0.5, b 0.4. After a nothing is likely (c 0.3 at best);
// after b, c has 0.99. Greedy takes a c (0.15); the better sequence is b c (0.396).
LanguageModel trap_model() {
  return bigram_model({log_probs({0.02f, 0.5f, 0.4f, 0.04f, 0.02f, 0.02f}),
                       log_probs({0.14f, 0.14f, 0.14f, 0.3f, 0.14f, 0.14f}),
                       log_probs({0.002f, 0.002f, 0.002f, 0.99f, 0.002f, 0.002f}),
                       log_probs({0.2f, 0.2f, 0.2f, 0.1f, 0.2f, 0.1f}),
                       log_probs({0.2f, 0.2f, 0.2f, 0.2f, 0.1f, 0.1f}),
                       log_probs({0.2f, 0.2f, 0.2f, 0.2f, 0.1f, 0.1f})});
}

TEST(BeamSearch, FindsAMoreLikelySequenceThanGreedy) {
  LanguageModel model = trap_model();
  Primed p = prime(model, {0});
  const BeamHypothesis greedy = beam_search(model, p.state, p.logits.span(), {1, 2, {}, {}});
  EXPECT_EQ(greedy.tokens, (std::vector<int32_t>{1, 3}));
  EXPECT_NEAR(greedy.log_prob, std::log(0.5 * 0.3), 1e-5);
  const BeamHypothesis beam = beam_search(model, p.state, p.logits.span(), {2, 2, {}, {}});
  EXPECT_EQ(beam.tokens, (std::vector<int32_t>{2, 3}));
  EXPECT_NEAR(beam.log_prob, std::log(0.4 * 0.99), 1e-5);
  EXPECT_FALSE(beam.ended_at_eos);
}

TEST(BeamSearch, WidthOneIsGreedyDecoding) {
  const Vocab vocab = char_vocab({"<eos>", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"},
                                 {"", "", "<eos>", ""});
  int ended = 0, runs = 0;
  for (CellKind cell : {CellKind::Lstm, CellKind::Gru, CellKind::RnnTanh}) {
    for (uint64_t seed = 1; seed <= 6; ++seed) {
      LanguageModel model = random_model(cell, vocab.size(), seed);
      // Makes <eos> likely enough that some runs end at it.
      testing::parameter(model, "fc.bias").value[0] += 0.3f;
      GenerateRequest r;
      r.prompt = "abc";
      r.max_tokens = 40;
      r.sampling.temperature = 0;
      const GenerateResult greedy = generate_text(model, vocab, r);
      r.beam_width = 1;
      r.sampling = {};  // beam search draws nothing
      const GenerateResult beam = generate_text(model, vocab, r);
      EXPECT_EQ(beam.text, greedy.text) << cell_kind_name(cell) << " seed " << seed;
      EXPECT_EQ(beam.finish_reason, greedy.finish_reason);
      ended += greedy.finish_reason == FinishReason::Eos;
      ++runs;
    }
  }
  // Both ways of finishing were compared.
  EXPECT_GT(ended, 0);
  EXPECT_LT(ended, runs);
}

TEST(BeamSearch, GenerationEndsCancelledWhenNoLongerWanted) {
  const Vocab vocab = char_vocab({"<eos>", "a", "b", "c", "d", "e"}, {"", "", "<eos>", ""});
  LanguageModel model = random_model(CellKind::Gru, vocab.size(), 3);
  GenerateRequest r;
  r.prompt = "ab";
  r.max_tokens = 50;
  r.stop_at_eos = false;
  r.beam_width = 2;
  r.sampling = {};
  int asked = 0;
  int pieces = 0;
  const auto count_piece = [&](std::string_view) { return ++pieces > 0; };
  const GenerateResult stopped =
      generate_text(model, vocab, r, count_piece, [&] { return ++asked < 5; });
  EXPECT_EQ(stopped.finish_reason, FinishReason::Cancelled);
  EXPECT_EQ(stopped.text, "");
  EXPECT_EQ(pieces, 0);
  EXPECT_EQ(asked, 5);
  const GenerateResult whole = generate_text(model, vocab, r, count_piece, [] { return true; });
  EXPECT_EQ(whole.finish_reason, FinishReason::Length);
  EXPECT_EQ(whole.tokens, 50);
  EXPECT_EQ(pieces, 50);
}

TEST(BeamSearch, BeamOfVToTheNIsExhaustive) {
  // V = 5, up to 3 tokens: a beam of 5^3 keeps every prefix, so it returns the best of all
  // sequences (ending at eos = 0 or not), each scored here by feeding it to the model.
  int ended = 0;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    LanguageModel model = random_model(CellKind::Lstm, 5, seed, 4, 6, 1);
    // Sharper distributions than PyTorch's initialisation gives, so the sequences differ.
    for (Parameter* p : model.parameters()) {
      for (float& w : p->value.span()) w *= 6;
    }
    // Makes token 0 likely enough that some of the best sequences end at it.
    testing::parameter(model, "fc.bias").value[0] += 3.0f;
    const Ids prompt = {1, 2};
    for (std::optional<int32_t> eos : {std::optional<int32_t>{}, std::optional<int32_t>{0}}) {
      const auto expected = exhaustive_best(3, eos, {}, [&](const Ids& prefix) {
        Ids ids = prompt;
        ids.insert(ids.end(), prefix.begin(), prefix.end());
        return log_softmax_double(prime(model, ids).logits.span());
      });
      Primed p = prime(model, prompt);
      const BeamHypothesis beam = beam_search(model, p.state, p.logits.span(), {125, 3, eos, {}});
      EXPECT_EQ(beam.tokens, expected.tokens) << "seed " << seed;
      EXPECT_NEAR(beam.log_prob, expected.log_prob, 1e-4);
      EXPECT_EQ(beam.ended_at_eos, expected.ended_at_eos);
      ended += expected.ended_at_eos;
    }
  }
  // Both ways of finishing were compared (of 3 searches with an end token).
  EXPECT_GT(ended, 0);
  EXPECT_LT(ended, 3);
}

TEST(BeamSearch, AnEndedHypothesisWinsWhenItIsMoreLikely) {
  // Tokens 0..2 = <eos> a b; from <eos> (the prompt): <eos> p_end, a 1 - p_end; a -> b (0.99).
  auto model_with = [](float p_end) {
    return bigram_model({log_probs({p_end, 1 - p_end, 0.0f}), log_probs({0.005f, 0.005f, 0.99f}),
                         log_probs({0.5f, 0.25f, 0.25f})});
  };
  LanguageModel ends = model_with(0.6f);
  Primed p = prime(ends, {0});
  const BeamHypothesis ended = beam_search(ends, p.state, p.logits.span(), {3, 2, 0, {}});
  EXPECT_TRUE(ended.ended_at_eos);
  EXPECT_TRUE(ended.tokens.empty());
  EXPECT_NEAR(ended.log_prob, std::log(0.6), 1e-5);

  LanguageModel goes_on = model_with(0.3f);
  Primed q = prime(goes_on, {0});
  const BeamHypothesis full = beam_search(goes_on, q.state, q.logits.span(), {3, 2, 0, {}});
  EXPECT_FALSE(full.ended_at_eos);
  EXPECT_EQ(full.tokens, (std::vector<int32_t>{1, 2}));
  EXPECT_NEAR(full.log_prob, std::log(0.7 * 0.99), 1e-5);
  // Without an end token the same search must produce two tokens even when <eos> is likely.
  const BeamHypothesis no_end = beam_search(ends, p.state, p.logits.span(), {3, 2, {}, {}});
  EXPECT_EQ(no_end.tokens.size(), 2u);
}

TEST(BeamSearch, KeepsToTheAllowedTokens) {
  LanguageModel model = trap_model();
  Primed p = prime(model, {0});
  const std::vector<uint8_t> allowed = {1, 1, 1, 0, 1, 1};  // no c
  const BeamHypothesis beam = beam_search(model, p.state, p.logits.span(), {4, 3, {}, allowed});
  ASSERT_EQ(beam.tokens.size(), 3u);
  for (int32_t id : beam.tokens) EXPECT_NE(id, 3);
}

TEST(BeamSearch, LengthZeroIsEmpty) {
  LanguageModel model = trap_model();
  Primed p = prime(model, {0});
  const BeamHypothesis beam = beam_search(model, p.state, p.logits.span(), {4, 0, {}, {}});
  EXPECT_TRUE(beam.tokens.empty());
  EXPECT_EQ(beam.log_prob, 0.0);
}

TEST(BeamSearch, RejectsBadOptions) {
  LanguageModel model = trap_model();
  Primed p = prime(model, {0});
  auto fails = [&](const BeamSearchOptions& o, std::span<const float> logits) {
    EXPECT_THROW(beam_search(model, p.state, logits, o), Error);
  };
  fails({0, 3, {}, {}}, p.logits.span());
  fails({kMaxBeamWidth + 1, 3, {}, {}}, p.logits.span());
  fails({2, -1, {}, {}}, p.logits.span());
  const std::vector<uint8_t> short_mask = {1, 1};
  fails({2, 3, {}, short_mask}, p.logits.span());
  fails({2, 3, {}, {}}, p.logits.span().first(4));
  const std::vector<uint8_t> none(6, 0);
  fails({2, 3, {}, none}, p.logits.span());
}

}  // namespace
}  // namespace rnnkit
