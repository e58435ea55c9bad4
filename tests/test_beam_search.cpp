#include "rnnkit/beam_search.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "rnnkit/error.h"
#include "rnnkit/text_generator.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

using testing::bigram_model;
using testing::char_vocab;
using testing::log_probs;
using testing::random_model;

struct Primed {
  LMState state;
  Tensor logits;
};

Primed prime(LanguageModel& model, std::vector<int32_t> ids) {
  Primed p;
  prime_state(model, ids, p.state, p.logits);
  return p;
}

// log P(tokens | prompt) by feeding the tokens one at a time, in double precision.
double sequence_log_prob(LanguageModel& model, const std::vector<int32_t>& prompt,
                         const std::vector<int32_t>& tokens) {
  Primed p = prime(model, prompt);
  double total = 0;
  for (int32_t id : tokens) {
    double max = -INFINITY, sum = 0;
    for (int64_t v = 0; v < p.logits.numel(); ++v) max = std::max(max, double{p.logits[v]});
    for (int64_t v = 0; v < p.logits.numel(); ++v) sum += std::exp(p.logits[v] - max);
    total += p.logits[id] - max - std::log(sum);
    model.step(std::span<const int32_t>(&id, 1), p.state, p.logits);
  }
  return total;
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

TEST(BeamSearch, WideEnoughBeamIsExhaustive) {
  // With V = 5 and 3 steps a beam of 25 keeps every prefix: the result is the best of all 125.
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    LanguageModel model = random_model(CellKind::Lstm, 5, seed, 4, 6, 1);
    // Sharper distributions than PyTorch's initialisation gives, so the sequences differ.
    for (Parameter* p : model.parameters()) {
      for (float& w : p->value.span()) w *= 6;
    }
    const std::vector<int32_t> prompt = {1, 2};
    std::vector<int32_t> best_tokens;
    double best = -INFINITY;
    for (int32_t a = 0; a < 5; ++a) {
      for (int32_t b = 0; b < 5; ++b) {
        for (int32_t c = 0; c < 5; ++c) {
          const double lp = sequence_log_prob(model, prompt, {a, b, c});
          if (lp > best) {
            best = lp;
            best_tokens = {a, b, c};
          }
        }
      }
    }
    Primed p = prime(model, prompt);
    const BeamHypothesis beam = beam_search(model, p.state, p.logits.span(), {25, 3, {}, {}});
    EXPECT_EQ(beam.tokens, best_tokens) << "seed " << seed;
    EXPECT_NEAR(beam.log_prob, best, 1e-4);
  }
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
