#include "error_of.h"
#include "rnnkit/text_generator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "rnnkit/error.h"
#include "rnnkit/utf8.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

using testing::error_of;

using testing::bigram_model;
using testing::char_vocab;
using testing::flat_model;
using testing::log_probs;
using testing::random_model;

SamplingOptions greedy() {
  SamplingOptions o;
  o.temperature = 0;
  return o;
}

SamplingOptions random_sampling(uint64_t seed) {
  SamplingOptions o;
  o.temperature = 1;
  o.seed = seed;
  return o;
}

GenerateRequest request(std::string prompt, int64_t max_tokens, SamplingOptions sampling) {
  GenerateRequest r;
  r.prompt = std::move(prompt);
  r.max_tokens = max_tokens;
  r.sampling = sampling;
  return r;
}

// a -> b -> c -> a, each with probability 0.9; d is the rest.
LanguageModel cycle_model() {
  return bigram_model({log_probs({0.0f, 0.9f, 0.05f, 0.05f}), log_probs({0.05f, 0.0f, 0.9f, 0.05f}),
                       log_probs({0.9f, 0.05f, 0.0f, 0.05f}),
                       log_probs({0.25f, 0.25f, 0.25f, 0.25f})});
}

TEST(TextGenerator, GreedyFollowsTheMostLikelyChain) {
  LanguageModel model = cycle_model();
  const Vocab vocab = char_vocab({"a", "b", "c", "d"});
  const GenerateResult r = generate_text(model, vocab, request("a", 7, greedy()));
  EXPECT_EQ(r.text, "bcabcab");
  EXPECT_EQ(r.tokens, 7);
  EXPECT_EQ(r.prompt, "a");
  EXPECT_EQ(r.finish_reason, FinishReason::Length);
}

TEST(TextGenerator, GreedyIgnoresTheSeed) {
  LanguageModel model = random_model(CellKind::Lstm, 12, 5);
  const Vocab vocab = char_vocab({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"});
  SamplingOptions one = greedy(), two = greedy();
  one.seed = 1;
  two.seed = 2;
  const std::string first = generate_text(model, vocab, request("abc", 40, one)).text;
  EXPECT_EQ(first.size(), 40u);
  EXPECT_EQ(generate_text(model, vocab, request("abc", 40, two)).text, first);
}

TEST(TextGenerator, SameSeedSameTextDifferentSeedsDiffer) {
  LanguageModel model = flat_model(20);
  std::vector<std::string> tokens;
  for (char c = 'a'; c < 'a' + 20; ++c) tokens.emplace_back(1, c);
  const Vocab vocab = char_vocab(tokens);
  const std::string seven = generate_text(model, vocab, request("a", 60, random_sampling(7))).text;
  EXPECT_EQ(generate_text(model, vocab, request("a", 60, random_sampling(7))).text, seven);
  // Two uniform draws of 60 tokens from 20 agree with probability 20^-60.
  EXPECT_NE(generate_text(model, vocab, request("a", 60, random_sampling(8))).text, seven);
}

TEST(TextGenerator, EchoSendsThePromptFirst) {
  LanguageModel model = cycle_model();
  const Vocab vocab = char_vocab({"a", "b", "c", "d"});
  GenerateRequest r = request("ab", 2, greedy());
  r.echo = true;
  std::vector<std::string> pieces;
  const GenerateResult result = generate_text(model, vocab, r, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  });
  EXPECT_EQ(pieces, (std::vector<std::string>{"ab", "c", "a"}));
  EXPECT_EQ(result.text, "ca");
}

TEST(TextGenerator, MinusOneStopsAtTheEndToken) {
  // a -> b -> c -> <eos> with probability 1 - 3e-13 each.
  auto row = [](int favourite) {
    std::vector<float> logits(4, 0.0f);
    logits[favourite] = 30.0f;
    return logits;
  };
  LanguageModel model = bigram_model({row(1), row(2), row(3), row(0)});
  const Vocab vocab = char_vocab({"<eos>", "a", "b", "c"}, {"", "", "<eos>", ""});
  for (const SamplingOptions& sampling : {greedy(), random_sampling(3)}) {
    const GenerateResult r = generate_text(model, vocab, request("a", -1, sampling));
    EXPECT_EQ(r.text, "bc");
    EXPECT_EQ(r.tokens, 2);
    EXPECT_EQ(r.finish_reason, FinishReason::Eos);
  }
  GenerateRequest ignoring = request("a", 5, greedy());
  ignoring.stop_at_eos = false;
  EXPECT_EQ(generate_text(model, vocab, ignoring).text, "bc\nab");
}

TEST(TextGenerator, MinusOneWithoutAnEndTokenStopsAtTheCap) {
  LanguageModel model({CellKind::RnnTanh, 2, 0, 1, 1});
  const Vocab vocab = char_vocab({"a", "b"});
  const GenerateResult r = generate_text(model, vocab, request("a", -1, random_sampling(1)));
  EXPECT_EQ(r.tokens, kMaxGeneratedTokens);
  EXPECT_EQ(r.text.size(), static_cast<size_t>(kMaxGeneratedTokens));
  EXPECT_EQ(r.finish_reason, FinishReason::Length);
}

TEST(TextGenerator, StreamsWholeCharactersOfEveryLength) {
  // 1-, 2-, 3- and 4-byte UTF-8 characters.
  const std::vector<std::string> tokens = {"a",          "\u00e9",     "\u6708",
                                           "\U0001F600", "\U00020000", "\U0002A6D6"};
  LanguageModel model = flat_model(static_cast<int64_t>(tokens.size()));
  const Vocab vocab = char_vocab(tokens);
  std::string streamed;
  int pieces = 0;
  const GenerateResult r = generate_text(
      model, vocab, request("\U0001F600", 300, random_sampling(11)), [&](std::string_view piece) {
        EXPECT_EQ(utf8::find_invalid(piece), std::string::npos);
        EXPECT_EQ(utf8::decode(piece).size(), 1u);
        EXPECT_TRUE(vocab.find(piece).has_value()) << piece;
        streamed += piece;
        ++pieces;
        return true;
      });
  EXPECT_EQ(pieces, 300);
  EXPECT_EQ(streamed, r.text);
  EXPECT_NE(r.text.find("\U00020000"), std::string::npos);
}

TEST(TextGenerator, UnknownCharactersAreNamedOrBecomeUnk) {
  LanguageModel model = flat_model(3);
  const Vocab plain = char_vocab({"a", "b", "c"});
  const std::string message =
      error_of([&] { generate_text(model, plain, request("abz\u6708z", 3, greedy())); });
  EXPECT_NE(message.find("\"z\""), std::string::npos) << message;
  EXPECT_NE(message.find("\"\u6708\""), std::string::npos) << message;

  const Vocab with_unk = char_vocab({"<unk>", "a", "b"}, {"<unk>", "", "", ""});
  const GenerateResult r = generate_text(model, with_unk, request("az", 3, greedy()));
  EXPECT_EQ(r.prompt, "a<unk>");
  EXPECT_EQ(r.tokens, 3);
}

// A model of the simplified corpus reads a traditional prompt in its own script (as a poem's
// start is read); a character the conversion would take out of the vocabulary stays as given.
TEST(TextGenerator, APromptIsReadInTheVocabularysScript) {
  Normalization simplified;
  simplified.script = "simplified";
  const Vocab vocab = char_vocab({"床", "前", "明", "月", "光", "乾"}, {}, simplified);
  EXPECT_EQ(encode_prompt(vocab, "牀前明月光"), (std::vector<int32_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(encode_prompt(vocab, "乾"), (std::vector<int32_t>{5}));
  const Vocab plain = char_vocab({"床", "前"});
  EXPECT_THROW(encode_prompt(plain, "牀前"), OutOfVocabularyError);
}

// A prompt's line ends are read as a text file's: a model of a CRLF file (trained on its LF
// twin) takes the same text pasted as an argument, a Python string or a request's body.
TEST(TextGenerator, APromptsCrlfAndCrAreLineEnds) {
  const Vocab vocab = char_vocab({"a", "b", "\n"});
  EXPECT_EQ(encode_prompt(vocab, "a\r\nb\ra"), (std::vector<int32_t>{0, 2, 1, 2, 0}));
}

TEST(TextGenerator, EmptyPromptStartsFromBosOrIsAnError) {
  // From <s> the model goes to x, then to y.
  auto row = [](int favourite) {
    std::vector<float> logits(3, 0.0f);
    logits[favourite] = 30.0f;
    return logits;
  };
  LanguageModel model = bigram_model({row(1), row(2), row(1)});
  const Vocab with_bos = char_vocab({"<s>", "x", "y"}, {"", "<s>", "", ""});
  const GenerateResult r = generate_text(model, with_bos, request("", 3, greedy()));
  EXPECT_EQ(r.text, "xyx");
  EXPECT_EQ(r.prompt, "");

  const Vocab without = char_vocab({"s", "x", "y"});
  EXPECT_NE(error_of([&] {
              generate_text(model, without, request("", 3, greedy()));
            }).find("empty prompt"),
            std::string::npos);
  const Vocab letters = char_vocab({"s", "x", "y"}, {}, {false, true, ""});
  EXPECT_NE(error_of([&] {
              generate_text(model, letters, request("1 2", 3, greedy()));
            }).find("empty prompt"),
            std::string::npos);
}

TEST(TextGenerator, PromptIsNormalizedAsInTraining) {
  LanguageModel model = cycle_model();
  const Vocab vocab = char_vocab({"a", "b", "c", "d"}, {}, {true, false, ""});
  const GenerateResult r = generate_text(model, vocab, request("AB", 1, greedy()));
  EXPECT_EQ(r.prompt, "ab");
  EXPECT_EQ(r.text, "c");
}

TEST(TextGenerator, WordLevelPiecesCarryTheirSpaceAndEosIsANewline) {
  auto row = [](int favourite) {
    std::vector<float> logits(4, 0.0f);
    logits[favourite] = 30.0f;
    return logits;
  };
  // the -> cat -> <eos> -> the, sat -> the
  LanguageModel model = bigram_model({row(1), row(2), row(0), row(1)});
  const Vocab vocab = Vocab::from_tokens({"<eos>", "the", "cat", "sat"}, TokenLevel::Word,
                                         {"", "", "<eos>", ""}, {});
  GenerateRequest r = request("sat  the", 5, greedy());
  r.stop_at_eos = false;
  r.echo = true;
  std::vector<std::string> pieces;
  const GenerateResult result = generate_text(model, vocab, r, [&](std::string_view piece) {
    pieces.emplace_back(piece);
    return true;
  });
  EXPECT_EQ(pieces, (std::vector<std::string>{"sat the", " cat", "\n", "the", " cat", "\n"}));
  EXPECT_EQ(result.prompt + result.text, "sat the cat\nthe cat\n");
}

TEST(TextGenerator, NeverDrawsBosOrPad) {
  LanguageModel model = flat_model(4);
  const Vocab vocab = char_vocab({"<pad>", "<s>", "a", "b"}, {"", "<s>", "", "<pad>"});
  const GenerateResult r = generate_text(model, vocab, request("a", 400, random_sampling(2)));
  EXPECT_EQ(r.text.find('<'), std::string::npos);
  EXPECT_EQ(r.tokens, 400);
}

TEST(TextGenerator, ListenerCanStopTheGeneration) {
  LanguageModel model = cycle_model();
  const Vocab vocab = char_vocab({"a", "b", "c", "d"});
  int calls = 0;
  const GenerateResult r = generate_text(model, vocab, request("a", 50, greedy()),
                                         [&](std::string_view) { return ++calls < 3; });
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(r.tokens, 3);
  EXPECT_EQ(r.text, "bca");
  EXPECT_EQ(r.finish_reason, FinishReason::Cancelled);
}

TEST(TextGenerator, RejectsBadRequests) {
  LanguageModel model = cycle_model();
  const Vocab vocab = char_vocab({"a", "b", "c", "d"});
  auto fails = [&](GenerateRequest r, const std::string& expected) {
    const std::string message = error_of([&] { generate_text(model, vocab, r); });
    EXPECT_NE(message.find(expected), std::string::npos) << message;
  };
  fails(request("a", -2, greedy()), "-1");
  fails(request("a", kMaxGeneratedTokens + 1, greedy()), "100000");
  GenerateRequest beam = request("a", 3, greedy());
  beam.beam_width = -1;
  fails(beam, "beam width");
  beam.beam_width = 257;
  fails(beam, "beam width");
  // Beam search draws nothing: each sampling option beside it would do nothing.
  for (const auto& set : std::vector<std::function<void(SamplingOptions&)>>{
           [](SamplingOptions& o) { o.temperature = 0; }, [](SamplingOptions& o) { o.top_k = 3; },
           [](SamplingOptions& o) { o.top_p = 0.5f; }, [](SamplingOptions& o) { o.seed = 7; }}) {
    GenerateRequest sampled = request("a", 3, SamplingOptions{});
    sampled.beam_width = 2;
    set(sampled.sampling);
    fails(sampled, "beam search finds the most likely continuation and draws nothing");
  }
  SamplingOptions nan = greedy();
  nan.temperature = std::numeric_limits<float>::quiet_NaN();
  fails(request("a", 3, nan), "temperature");
  SamplingOptions top_p = greedy();
  top_p.top_p = 0;
  fails(request("a", 3, top_p), "top_p");
  const Vocab smaller = char_vocab({"a", "b", "c"});
  const std::string message =
      error_of([&] { generate_text(model, smaller, request("a", 3, greedy())); });
  EXPECT_NE(message.find("3 tokens"), std::string::npos) << message;
}

// A bidirectional model's reverse direction would read the continuation before it exists: every
// way to generate (sampling, beam search, a batched decode step) is refused with the reason.
TEST(TextGenerator, ABidirectionalModelCannotGenerate) {
  LanguageModel model({CellKind::Gru, 4, 6, 8, 1, /*bidirectional=*/true});
  Rng rng(3);
  model.reset_parameters(rng);
  const Vocab vocab = char_vocab({"a", "b", "c", "d"});
  GenerateRequest beam = request("ab", 3, SamplingOptions{});
  beam.beam_width = 2;
  for (const GenerateRequest& r : {request("ab", 3, random_sampling(1)), beam}) {
    const std::string message = error_of([&] { generate_text(model, vocab, r); });
    EXPECT_NE(message.find("a bidirectional model cannot generate"), std::string::npos) << message;
  }
  LMState state;
  Tensor logits;
  const std::vector<int32_t> rows = {0, 1};
  EXPECT_NE(error_of([&] { model.step(rows, state, logits); }).find("cannot generate"),
            std::string::npos);
  // A decode session refuses it when it is made, before any step: a server checks a streamed
  // request so before its stream starts (a 400, not a 200 ending in an error event).
  EXPECT_NE(error_of([&] {
              TextGeneration session(model, vocab, request("ab", 3, greedy()));
            }).find("a bidirectional model cannot generate"),
            std::string::npos);
}

TEST(TextGenerator, PrimingInChunksMatchesStepByStep) {
  LanguageModel model = random_model(CellKind::Lstm, 7, 21);
  std::vector<int32_t> ids;
  Rng rng(4);
  for (int i = 0; i < 2500; ++i) ids.push_back(static_cast<int32_t>(rng.below(7)));
  LMState primed, stepped;
  Tensor primed_logits, stepped_logits;
  prime_state(model, ids, primed, primed_logits);
  for (int32_t id : ids) model.step(std::span<const int32_t>(&id, 1), stepped, stepped_logits);
  ASSERT_EQ(primed.h.numel(), stepped.h.numel());
  for (int64_t i = 0; i < primed.h.numel(); ++i) EXPECT_NEAR(primed.h[i], stepped.h[i], 1e-4);
  for (int64_t i = 0; i < primed.c.numel(); ++i) EXPECT_NEAR(primed.c[i], stepped.c[i], 1e-4);
  for (int64_t i = 0; i < 7; ++i) EXPECT_NEAR(primed_logits[i], stepped_logits[i], 1e-4);
}

TEST(TextGenerator, FinishReasonNames) {
  EXPECT_EQ(finish_reason_name(FinishReason::Length), "length");
  EXPECT_EQ(finish_reason_name(FinishReason::Eos), "eos");
  EXPECT_EQ(finish_reason_name(FinishReason::Cancelled), "cancelled");
}

}  // namespace
}  // namespace rnnkit
