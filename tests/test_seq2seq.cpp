#include "rnnkit/seq2seq.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>

#include "gradient_check.h"
#include "rnnkit/adam.h"
#include "rnnkit/beam_search.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {
namespace {

using Ids = std::vector<int32_t>;

Seq2seqBatch batch_of(const std::vector<Ids>& questions, const std::vector<Ids>& answers,
                      const Seq2seqTokens& tokens, int64_t max_answer_length) {
  std::vector<const Ids*> q, a;
  for (const Ids& x : questions) q.push_back(&x);
  for (const Ids& x : answers) a.push_back(&x);
  return make_seq2seq_batch(q, a, tokens, max_answer_length);
}

TEST(Seq2seqBatch, TeacherForcingWithFixedWidthAnswers) {
  // The book's t[:, :-1] / t[:, 1:] with t = "_" + answer.
  Seq2seqBatch b = batch_of({{1, 2}, {3, 4}}, {{5, 6}, {7, 8}}, {0, -1}, 2);
  EXPECT_EQ(b.question_steps, 2);
  EXPECT_EQ(b.answer_steps, 2);
  EXPECT_EQ(b.batch, 2);
  EXPECT_EQ(b.questions, (Ids{1, 3, 2, 4}));
  EXPECT_EQ(b.decoder_inputs, (Ids{0, 0, 5, 7}));
  EXPECT_EQ(b.targets, (Ids{5, 7, 6, 8}));
}

TEST(Seq2seqBatch, EndTokenAndIgnoredTargetsForVariableAnswers) {
  Seq2seqBatch b = batch_of({{1}, {2}}, {{5}, {7, 8}}, {0, 9}, 4);
  EXPECT_EQ(b.answer_steps, 3);
  EXPECT_EQ(b.decoder_inputs, (Ids{0, 0, 5, 7, 9, 8}));
  EXPECT_EQ(b.targets, (Ids{5, 7, 9, 8, kIgnoreIndex, 9}));
}

TEST(Seq2seqBatch, RejectsBadBatches) {
  EXPECT_THROW(batch_of({{1, 2}, {3}}, {{5}, {6}}, {0, -1}, 4), Error);
  EXPECT_THROW(batch_of({{1}}, {{5, 6, 7}}, {0, -1}, 2), Error);
  EXPECT_THROW(batch_of({{1}}, {{}}, {0, 9}, 2), Error);
  EXPECT_THROW(batch_of({{1}}, {}, {0, 9}, 2), Error);
}

TEST(Seq2seqConfig, JsonRoundTripAndValidation) {
  Seq2seqConfig c;
  c.cell = CellKind::Gru;
  c.vocab_size = 13;
  c.num_layers = 2;
  c.bidirectional = c.reverse_input = c.peeky = c.attention = c.space_padded = c.single_bias = true;
  c.max_answer_length = 4;
  c.question_width = 7;
  c.dropout = 0.25f;
  Seq2seqConfig d = Seq2seqConfig::from_json(c.to_json());
  EXPECT_EQ(d.to_json(), c.to_json());
  EXPECT_EQ(d.output_input_size(), 3 * 2 * 128);
  EXPECT_EQ(d.decoder_input_size(), 16 + 256);
  EXPECT_THROW(Seq2seqConfig::from_json("[]"), Error);
  EXPECT_THROW(Seq2seqConfig::from_json(R"({"cell": "lstm"})"), Error);
  c.max_answer_length = 0;
  EXPECT_THROW(c.validate(), Error);
}

// --- PyTorch parity ------------------------------------------------------------------------

Ids ids_of(const Tensor& t) {
  Ids ids;
  for (float v : t.span()) ids.push_back(static_cast<int32_t>(v));
  return ids;
}

void expect_near(const Tensor& got, const Tensor& want, double tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got[i], want[i], tol) << what << "[" << i << "]";
}

void check_parity(const std::string& name) {
  SCOPED_TRACE(name);
  SafetensorsFile f = read_safetensors(RNNKIT_FIXTURE_DIR "/" + name + ".safetensors");
  Seq2seq model(Seq2seqConfig::from_json(f.metadata.at("rnnkit.seq2seq_config")));
  std::map<std::string, Tensor> params;
  for (const auto& [key, t] : f.tensors)
    if (key.starts_with("encoder.") || key.starts_with("decoder.")) params[key] = t;
  model.load_state_dict(params);

  const Tensor& q = f.tensors.at("input.questions");
  const int64_t Tq = q.dim(0), B = q.dim(1), Ta = f.tensors.at("input.targets").dim(0);
  Seq2seqBatch batch{Tq,
                     Ta,
                     B,
                     ids_of(q),
                     ids_of(f.tensors.at("input.decoder_inputs")),
                     ids_of(f.tensors.at("input.targets"))};
  zero_grad(model.parameters());
  LossResult loss = model.forward_backward(batch, true, true, nullptr);
  EXPECT_NEAR(loss.mean(), f.tensors.at("output.loss")[0], 1e-5);
  for (Parameter* p : model.parameters())
    expect_near(p->grad, f.tensors.at("grad." + p->name), 1e-4, p->name);

  // Greedy decoding from bos (id 0), one column per question, max_answer_length steps.
  std::vector<Ids> questions(B);
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tq; ++t) questions[b].push_back(batch.questions[t * B + b]);
  const Seq2seqTokens tokens{0, -1};
  std::vector<Ids> answers = greedy_decode(model, questions, tokens);
  const Tensor& greedy = f.tensors.at("output.greedy");
  for (int64_t b = 0; b < B; ++b) {
    ASSERT_EQ(static_cast<int64_t>(answers[b].size()), greedy.dim(0));
    for (int64_t s = 0; s < greedy.dim(0); ++s) EXPECT_EQ(answers[b][s], greedy[s * B + b]);
  }
  if (!model.config().attention) return;
  const Tensor& want = f.tensors.at("output.greedy_weights");  // [steps,B,Tq], reading order
  for (int64_t b = 0; b < B; ++b) {
    Tensor weights;
    EXPECT_EQ(greedy_decode_with_attention(model, questions[b], tokens, weights), answers[b]);
    ASSERT_EQ(weights.shape(), (Shape{want.dim(0), Tq}));
    for (int64_t s = 0; s < want.dim(0); ++s)
      for (int64_t t = 0; t < Tq; ++t)
        EXPECT_NEAR(weights[s * Tq + t], want[(s * B + b) * Tq + t], 1e-5);
  }
}

TEST(Seq2seqParity, PeekyLstmMatchesPyTorch) {
  check_parity("seq2seq_peeky_lstm");
}
TEST(Seq2seqParity, AttentionLstmMatchesPyTorch) {
  check_parity("seq2seq_attention_lstm");
}
TEST(Seq2seqParity, PeekyAttentionBidirectionalGruMatchesPyTorch) {
  check_parity("seq2seq_peeky_attention_gru_l2_bi");
}

// --- Gradient checks -----------------------------------------------------------------------

Seq2seqConfig small_config(CellKind cell) {
  Seq2seqConfig c;
  c.cell = cell;
  c.vocab_size = 7;
  c.embedding_dim = 3;
  c.hidden_size = 4;
  c.max_answer_length = 3;
  return c;
}

void check_gradients(const Seq2seqConfig& config) {
  Seq2seq model(config);
  Rng rng(17);
  model.reset_parameters(rng, Seq2seqInit::PyTorch);
  Seq2seqBatch batch = batch_of({{1, 2, 3, 4}, {4, 5, 6, 1}}, {{2, 3}, {6, 5, 4}}, {0, 6}, 3);
  zero_grad(model.parameters());
  model.forward_backward(batch, true, true, nullptr);
  std::vector<testing::GradientCase> cases;
  for (Parameter* p : model.parameters()) cases.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(
      [&] { return model.forward_backward(batch, false, false, nullptr).mean(); }, cases, 12);
}

TEST(Seq2seqGradients, Baseline) {
  check_gradients(small_config(CellKind::Lstm));
}

TEST(Seq2seqGradients, PeekyReversed) {
  Seq2seqConfig c = small_config(CellKind::Lstm);
  c.peeky = c.reverse_input = true;
  check_gradients(c);
}

TEST(Seq2seqGradients, Attention) {
  Seq2seqConfig c = small_config(CellKind::RnnTanh);
  c.attention = true;
  check_gradients(c);
}

TEST(Seq2seqGradients, PeekyAttentionBidirectionalTwoLayers) {
  Seq2seqConfig c = small_config(CellKind::Gru);
  c.peeky = c.attention = c.bidirectional = true;
  c.num_layers = 2;
  check_gradients(c);
}

// --- Decoding ------------------------------------------------------------------------------

Seq2seq random_model(Seq2seqConfig c, uint64_t seed) {
  Seq2seq model(c);
  Rng rng(seed);
  model.reset_parameters(rng, Seq2seqInit::PyTorch);
  // Larger weights make the output distributions peaked and varied.
  for (Parameter* p : model.parameters())
    for (float& v : p->value.span()) v *= 3.0f;
  return model;
}

TEST(Seq2seqDecoding, WideBeamFindsTheMostProbableAnswer) {
  // Without eos every answer has max_answer_length tokens; a beam of V^n keeps every prefix, so
  // it must return the argmax over all V^n answers, scored here by teacher forcing.
  Seq2seqConfig c = small_config(CellKind::Lstm);
  c.vocab_size = 4;
  c.attention = true;
  Seq2seq model = random_model(c, 5);
  const Seq2seqTokens tokens{0, -1};
  const Ids question{1, 3, 2};
  double best = -1e30;
  Ids best_answer;
  for (int32_t a = 0; a < 4; ++a)
    for (int32_t b = 0; b < 4; ++b)
      for (int32_t d = 0; d < 4; ++d) {
        const Ids answer{a, b, d};
        LossResult r = model.forward_backward(batch_of({question}, {answer}, tokens, 3), false,
                                              false, nullptr);
        if (-r.loss_sum > best) best = -r.loss_sum, best_answer = answer;
      }
  EXPECT_EQ(beam_decode(model, question, tokens, 64), best_answer);
  EXPECT_EQ(beam_decode(model, question, tokens, 1), greedy_decode(model, {question}, tokens)[0]);
}

TEST(Seq2seqDecoding, BeamWithEndTokenScoresFinishedAnswers) {
  // With eos an answer's probability includes its eos, except for answers that end by reaching
  // max_answer_length. Enumerate every answer of up to 3 tokens (ids 0..3; 4 is eos), scoring
  // those of 1 to 3 tokens by teacher forcing; a beam of V^3 = 125 keeps every prefix.
  Seq2seqConfig c = small_config(CellKind::Gru);
  c.vocab_size = 5;
  c.peeky = true;
  Seq2seq model = random_model(c, 8);
  const Seq2seqTokens tokens{0, 4};
  const Ids question{2, 1};
  std::vector<float> log_probs(5);
  auto eos_log_prob = [&](const Ids& answer) {  // log p(eos | answer), step by step
    Tensor logits;
    DecoderState state;
    model.encode(question, 2, 1, state);
    model.decode_step(Ids{0}, state, logits);
    for (int32_t id : answer) model.decode_step(Ids{id}, state, logits);
    log_softmax(logits.data(), 5, log_probs.data());
    return static_cast<double>(log_probs[4]);
  };
  double best = eos_log_prob({});
  Ids best_answer;
  std::function<void(Ids)> visit = [&](Ids answer) {
    LossResult r =
        model.forward_backward(batch_of({question}, {answer}, tokens, 3), false, false, nullptr);
    const double score = -r.loss_sum - (answer.size() == 3 ? eos_log_prob(answer) : 0.0);
    if (score > best) best = score, best_answer = answer;
    if (answer.size() < 3)
      for (int32_t v = 0; v <= 3; ++v) {
        Ids longer = answer;
        longer.push_back(v);
        visit(longer);
      }
  };
  for (int32_t v = 0; v <= 3; ++v) visit({v});
  EXPECT_EQ(beam_decode(model, question, tokens, 125), best_answer);
}

TEST(Seq2seqDecoding, BeamOfWidthOneIsGreedy) {
  // Random attention models: some greedy answers end at eos, others at max_answer_length (both
  // are counted below).
  Seq2seqConfig c = small_config(CellKind::Lstm);
  c.vocab_size = 6;
  c.max_answer_length = 5;
  c.attention = c.reverse_input = true;
  const Seq2seqTokens tokens{0, 5};
  const std::vector<Ids> questions{{1, 2, 3}, {4, 1}, {3, 3, 2, 1}};
  int ended = 0, answered = 0;
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Seq2seq model = random_model(c, seed);
    for (const Ids& q : questions) {
      const Ids greedy = greedy_decode(model, {q}, tokens)[0];
      EXPECT_EQ(beam_decode(model, q, tokens, 1), greedy) << "seed " << seed;
      ended += static_cast<int64_t>(greedy.size()) < c.max_answer_length;
      ++answered;
    }
  }
  EXPECT_GT(ended, 0);
  EXPECT_LT(ended, answered);
}

TEST(Seq2seqDecoding, BeamRejectsBadWidthsAndEmptyQuestions) {
  Seq2seq model = random_model(small_config(CellKind::Gru), 3);
  const Seq2seqTokens tokens{0, 6};
  EXPECT_THROW(beam_decode(model, {1, 2}, tokens, 0), Error);
  EXPECT_THROW(beam_decode(model, {1, 2}, tokens, kMaxBeamWidth + 1), Error);
  EXPECT_THROW(beam_decode(model, {}, tokens, 2), Error);
}

TEST(Seq2seqDecoding, GreedyBatchesQuestionsOfDifferentLengths) {
  Seq2seqConfig c = small_config(CellKind::Lstm);
  c.attention = c.reverse_input = true;
  Seq2seq model = random_model(c, 2);
  const Seq2seqTokens tokens{0, 6};
  const std::vector<Ids> questions{{1, 2, 3}, {4}, {5, 5, 1}, {2, 3}};
  std::vector<Ids> together = greedy_decode(model, questions, tokens, 2);
  for (size_t i = 0; i < questions.size(); ++i)
    EXPECT_EQ(together[i], greedy_decode(model, {questions[i]}, tokens)[0]) << i;
  EXPECT_THROW(greedy_decode(model, {{}}, tokens), Error);
}

TEST(Seq2seqSingleBias, LeavesBiasHhOutOfTrainingButInTheFile) {
  Seq2seqConfig c = small_config(CellKind::Lstm);
  c.single_bias = true;
  c.num_layers = 2;
  c.bidirectional = true;
  Seq2seq model(c);
  Rng rng(3);
  model.reset_parameters(rng, Seq2seqInit::PyTorch);
  int bias_hh_in_file = 0;
  for (const auto& [name, tensor] : model.state_dict())
    if (name.find(".bias_hh_") != std::string::npos) {
      ++bias_hh_in_file;
      for (float v : tensor->span()) EXPECT_EQ(v, 0.0f) << name;
    }
  EXPECT_EQ(bias_hh_in_file, 4 + 2);  // encoder: 2 layers x 2 directions; decoder: 2 layers
  for (Parameter* p : model.parameters()) EXPECT_EQ(p->name.find(".bias_hh_"), std::string::npos);
  EXPECT_EQ(model.state_dict().size(), model.parameters().size() + 6);

  std::map<std::string, Tensor> tensors;
  for (const auto& [name, tensor] : model.state_dict()) tensors[name] = *tensor;
  tensors.at("decoder.rnn.bias_hh_l1")[0] = 0.5f;
  EXPECT_THROW(model.load_state_dict(tensors), Error);
}

TEST(Seq2seqVocab, BookDataVocabularySizes) {
  // shared/data/README.md: 13 symbols in addition.txt, 59 in date.txt; '_' starts the decoder.
  Vocab addition =
      build_seq2seq_vocab(read_pairs(RNNKIT_SHARED_DATA_DIR "/addition.txt", PairFormat::Auto));
  EXPECT_EQ(addition.size(), 13);
  EXPECT_EQ(addition.token(seq2seq_tokens(addition).bos), "_");
  EXPECT_EQ(seq2seq_tokens(addition).eos, -1);
  PairCorpus dates = read_pairs(RNNKIT_SHARED_DATA_DIR "/date.txt", PairFormat::Auto);
  EXPECT_EQ(dates.pairs.size(), 50000u);
  EXPECT_EQ(build_seq2seq_vocab(dates).size(), 59);
}

// --- Vocabulary and files ------------------------------------------------------------------

TEST(Seq2seqVocab, FirstAppearanceOrderLikeTheBook) {
  PairCorpus corpus = parse_pairs("1+2 _3 \n10+5_15\n", PairFormat::Underscore, "mem");
  Vocab v = build_seq2seq_vocab(corpus);
  EXPECT_EQ(v.tokens(), (std::vector<std::string>{"1", "+", "2", " ", "_", "3", "0", "5"}));
  EXPECT_EQ(v.bos_id(), std::optional<int32_t>(4));
  EXPECT_FALSE(v.eos_id());

  PairCorpus tsv = parse_pairs("ab\tb\nba\tab\n", PairFormat::Tsv, "mem");
  Vocab w = build_seq2seq_vocab(tsv);
  EXPECT_EQ(w.tokens(), (std::vector<std::string>{"a", "b", "<bos>", "<eos>"}));
  EXPECT_EQ(seq2seq_tokens(w).bos, 2);
  EXPECT_EQ(seq2seq_tokens(w).eos, 3);
}

TEST(Seq2seqFile, SaveAndLoadRoundTrip) {
  Seq2seqConfig c = small_config(CellKind::Gru);
  c.peeky = c.attention = true;
  c.vocab_size = 8;
  Seq2seq model = random_model(c, 4);
  PairCorpus corpus = parse_pairs("1+2 _3 \n10+5_15\n", PairFormat::Underscore, "mem");
  Vocab vocab = build_seq2seq_vocab(corpus);
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("rnnkit_seq2seq_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
       std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  save_seq2seq((dir / "best.safetensors").string(), model, vocab);
  LoadedSeq2seq loaded = load_seq2seq(dir.string());
  EXPECT_EQ(loaded.vocab.tokens(), vocab.tokens());
  EXPECT_EQ(loaded.model->config().to_json(), c.to_json());
  auto a = model.state_dict(), b = loaded.model->state_dict();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    expect_near(*b[i].second, *a[i].second, 0.0, a[i].first);
  }
  // A language-model-like file without the seq2seq metadata is refused by name.
  write_safetensors((dir / "other.safetensors").string(), {}, {});
  EXPECT_THROW(load_seq2seq((dir / "other.safetensors").string()), Error);
  std::filesystem::remove_all(dir);
}

// --- Training ------------------------------------------------------------------------------

TEST(Seq2seqTraining, LearnsToReverseShortStrings) {
  // Tiny matrices: extra threads only add synchronisation, which dominates on a busy machine.
  const int saved_threads = num_threads();
  set_num_threads(1);
  Seq2seqConfig c = small_config(CellKind::Lstm);
  c.vocab_size = 6;  // bos 0, symbols 1..5
  c.embedding_dim = 8;
  c.hidden_size = 32;
  c.attention = true;
  Seq2seq model(c);
  Rng rng(1);
  model.reset_parameters(rng, Seq2seqInit::Book);
  Adam adam(model.parameters(), AdamOptions{.lr = 0.01});
  auto sample = [&](Ids& q, Ids& a) {
    q = {static_cast<int32_t>(1 + rng.below(5)), static_cast<int32_t>(1 + rng.below(5)),
         static_cast<int32_t>(1 + rng.below(5))};
    a = {q[2], q[1], q[0]};
  };
  std::vector<Ids> qs(32), as(32);
  for (int step = 0; step < 300; ++step) {
    for (int i = 0; i < 32; ++i) sample(qs[i], as[i]);
    zero_grad(model.parameters());
    model.forward_backward(batch_of(qs, as, {0, -1}, 3), true, true, &rng);
    adam.step();
  }
  std::vector<Ids> test_q(125), expected(125);
  for (int i = 0; i < 125; ++i) {
    test_q[i] = {1 + i / 25, 1 + i / 5 % 5, 1 + i % 5};
    expected[i] = {test_q[i][2], test_q[i][1], test_q[i][0]};
  }
  std::vector<Ids> got = greedy_decode(model, test_q, {0, -1});
  int correct = 0;
  for (int i = 0; i < 125; ++i) correct += got[i] == expected[i];
  EXPECT_GE(correct, 120);
  set_num_threads(saved_threads);
}

}  // namespace
}  // namespace rnnkit
