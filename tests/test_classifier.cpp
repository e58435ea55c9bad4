#include "rnnkit/classifier.h"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cmath>
#include <filesystem>

#include "gradient_check.h"
#include "rnnkit/adam.h"
#include "rnnkit/classifier_training.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {
namespace {

using Ids = std::vector<int32_t>;

Parameter& param(SequenceClassifier& model, const std::string& name) {
  for (Parameter* p : model.parameters())
    if (p->name == name) return *p;
  throw Error("no parameter " + name);
}

TEST(SequenceClassifier, UsesTheFinalStatesOfBothDirections) {
  // One-hot input, tanh RNN with one unit per direction, zero biases, ids (0, 1):
  //   forward  h1 = tanh(a0), h2 = tanh(a1 + u h1)       (final state after t = 1)
  //   backward g1 = tanh(c1), g0 = tanh(c0 + v g1)       (final state after t = 0)
  // fc reads [h2, g0]: logits = (h2 + 0.5, 2 g0).
  ClassifierConfig c;
  c.cell = CellKind::RnnTanh;
  c.vocab_size = 2;
  c.embedding_dim = 0;
  c.hidden_size = 1;
  c.bidirectional = true;
  c.num_classes = 2;
  SequenceClassifier model(c);
  for (Parameter* p : model.parameters()) p->value.zero();
  const float a0 = 0.3f, a1 = -0.7f, u = 0.9f, c0 = 0.4f, c1 = 1.1f, v = -0.6f;
  param(model, "rnn.weight_ih_l0").value = Tensor::from({1, 2}, std::vector<float>{a0, a1});
  param(model, "rnn.weight_hh_l0").value = Tensor::from({1, 1}, std::vector<float>{u});
  param(model, "rnn.weight_ih_l0_reverse").value = Tensor::from({1, 2}, std::vector<float>{c0, c1});
  param(model, "rnn.weight_hh_l0_reverse").value = Tensor::from({1, 1}, std::vector<float>{v});
  param(model, "fc.weight").value = Tensor::from({2, 2}, std::vector<float>{1, 0, 0, 2});
  param(model, "fc.bias").value = Tensor::from({2}, std::vector<float>{0.5f, 0});

  const double h2 = std::tanh(a1 + u * std::tanh(a0));
  const double g0 = std::tanh(c0 + v * std::tanh(c1));
  Tensor logits;
  LossResult r = model.forward_backward(Ids{0, 1}, 2, 1, Ids{1}, false, false, nullptr, &logits);
  ASSERT_EQ(logits.shape(), (Shape{1, 2}));
  EXPECT_NEAR(logits[0], h2 + 0.5, 1e-5);
  EXPECT_NEAR(logits[1], 2 * g0, 1e-5);
  const double l0 = h2 + 0.5, l1 = 2 * g0;
  EXPECT_NEAR(r.mean(), std::log(std::exp(l0) + std::exp(l1)) - l1, 1e-5);

  // Validation's loss is the same cross-entropy, averaged over the texts scored: here the text
  // with label 1 and the same text with label 0.
  EncodedExamples data;
  data.texts = {{0, 1}, {0, 1}};
  data.labels = {1, 0};
  data.lengths = {2, 2};
  const std::vector<int64_t> both = {0, 1};
  const ClassifierEvaluation e = evaluate_classifier(model, data, both);
  const double log_sum = std::log(std::exp(l0) + std::exp(l1));
  EXPECT_NEAR(e.loss, ((log_sum - l1) + (log_sum - l0)) / 2, 1e-5);
  EXPECT_DOUBLE_EQ(e.accuracy, 0.5);
}

void check_gradients(ClassifierConfig c) {
  SequenceClassifier model(c);
  Rng rng(21);
  model.reset_parameters(rng);
  const Ids ids{1, 2, 3, 0, 4, 1, 2, 2, 3, 4, 0, 1};  // T = 4, B = 3
  const Ids labels{0, 2, 1};
  zero_grad(model.parameters());
  model.forward_backward(ids, 4, 3, labels, true, true, nullptr);
  std::vector<testing::GradientCase> cases;
  for (Parameter* p : model.parameters()) cases.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(
      [&] { return model.forward_backward(ids, 4, 3, labels, false, false, nullptr).mean(); },
      cases, 12);
}

ClassifierConfig small(CellKind cell) {
  ClassifierConfig c;
  c.cell = cell;
  c.vocab_size = 5;
  c.embedding_dim = 3;
  c.hidden_size = 4;
  c.num_classes = 3;
  return c;
}

TEST(SequenceClassifierGradients, Lstm) {
  check_gradients(small(CellKind::Lstm));
}

TEST(SequenceClassifierGradients, BidirectionalTwoLayerGru) {
  ClassifierConfig c = small(CellKind::Gru);
  c.bidirectional = true;
  c.num_layers = 2;
  check_gradients(c);
}

TEST(SequenceClassifierGradients, OneHotTanh) {
  ClassifierConfig c = small(CellKind::RnnTanh);
  c.embedding_dim = 0;
  check_gradients(c);
}

TEST(SequenceClassifier, RememberBiasShiftsTheForgetOrUpdateGateOnly) {
  for (CellKind cell : {CellKind::Lstm, CellKind::Gru}) {
    ClassifierConfig c = small(cell);
    c.num_layers = 2;
    SequenceClassifier plain(c), shifted(c);
    Rng a(9), b(9);
    plain.reset_parameters(a);
    shifted.reset_parameters(b, 1.0f);
    auto p = plain.parameters(), q = shifted.parameters();
    for (size_t k = 0; k < p.size(); ++k) {
      const bool bias_ih = p[k]->name.find("bias_ih") != std::string::npos;
      for (int64_t i = 0; i < p[k]->value.numel(); ++i) {
        // Gate rows: LSTM (i, f, g, o), GRU (r, z, n); the second block keeps the state.
        const bool shifted_row = bias_ih && i / c.hidden_size == 1;
        EXPECT_FLOAT_EQ(q[k]->value[i], p[k]->value[i] + (shifted_row ? 1.0f : 0.0f))
            << p[k]->name << "[" << i << "]";
      }
    }
  }
}

TEST(ClassifierConfig, JsonRoundTripAndValidation) {
  ClassifierConfig c = small(CellKind::Gru);
  c.bidirectional = true;
  c.dropout = 0.5f;
  EXPECT_EQ(ClassifierConfig::from_json(c.to_json()).to_json(), c.to_json());
  c.num_classes = 1;
  EXPECT_THROW(c.validate(), Error);
  EXPECT_THROW(ClassifierConfig::from_json("{\"cell\": \"lstm\"}"), Error);
}

TEST(ConfusionMatrix, CountsActualByPredicted) {
  EXPECT_EQ(confusion_matrix(Ids{0, 0, 1, 2, 2}, Ids{0, 1, 1, 0, 2}, 3),
            (std::vector<int64_t>{1, 1, 0, 0, 1, 0, 1, 0, 1}));
  EXPECT_THROW(confusion_matrix(Ids{0, 3}, Ids{0, 1}, 3), Error);
  EXPECT_THROW(confusion_matrix(Ids{0}, Ids{0, 1}, 3), Error);
}

TEST(RecallTask, LabelsSayWhetherTheFirstCharacterRecursLast) {
  auto examples = make_recall_task(400, 9, 3);
  ASSERT_EQ(examples.size(), 400u);
  int yes = 0;
  for (const LabeledText& ex : examples) {
    ASSERT_EQ(ex.text.size(), 9u);
    EXPECT_TRUE(ex.text[0] >= 'A' && ex.text[0] <= 'H');
    EXPECT_TRUE(ex.text[8] >= 'A' && ex.text[8] <= 'H');
    for (int i = 1; i < 8; ++i) EXPECT_TRUE(ex.text[i] >= 'a' && ex.text[i] <= 'z');
    EXPECT_EQ(ex.label, ex.text[0] == ex.text[8] ? "yes" : "no");
    yes += ex.label == "yes";
  }
  EXPECT_GT(yes, 160);
  EXPECT_LT(yes, 240);
  EXPECT_EQ(make_recall_task(5, 4, 9)[3].text, make_recall_task(5, 4, 9)[3].text);
  EXPECT_NE(make_recall_task(5, 30, 9)[0].text, make_recall_task(5, 30, 10)[0].text);
  EXPECT_THROW(make_recall_task(5, 1, 9), Error);
  EXPECT_THROW(make_recall_task(0, 4, 9), Error);  // a file nothing can train on
}

TEST(FirstKeyTask, LabelsTheFirstCharactersHalf) {
  auto examples = make_first_key_task(300, 7, 4);
  ASSERT_EQ(examples.size(), 300u);
  int first_half = 0;
  for (const LabeledText& ex : examples) {
    ASSERT_EQ(ex.text.size(), 7u);
    ASSERT_TRUE(ex.text[0] >= 'A' && ex.text[0] <= 'H');
    for (int i = 1; i < 7; ++i) EXPECT_TRUE(ex.text[i] >= 'a' && ex.text[i] <= 'z');
    EXPECT_EQ(ex.label, std::string(ex.text[0] <= 'D' ? "A-D" : "E-H"));
    first_half += ex.label == "A-D";
  }
  EXPECT_GT(first_half, 110);
  EXPECT_LT(first_half, 190);
  EXPECT_EQ(make_first_key_task(3, 1, 2)[2].text.size(), 1u);
  EXPECT_THROW(make_first_key_task(3, 0, 2), Error);
  EXPECT_THROW(make_first_key_task(0, 3, 2), Error);
}

TEST(SequenceClassifier, LearnsShortRecall) {
  const int saved_threads = num_threads();
  set_num_threads(1);  // tiny matrices: more threads only add synchronisation
  Vocab vocab = Vocab::from_tokens(
      {"A", "B", "C", "D", "E", "F", "G", "H", "a", "b", "c", "d", "e", "f", "g", "h", "i",
       "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z"},
      TokenLevel::Char, {}, {});
  auto encode = [&](const std::vector<LabeledText>& examples, Ids& ids, Ids& labels) {
    const int64_t B = static_cast<int64_t>(examples.size()), T = 5;
    ids.assign(T * B, 0);
    labels.clear();
    for (int64_t b = 0; b < B; ++b) {
      Ids row = vocab.encode(examples[b].text);
      for (int64_t t = 0; t < T; ++t) ids[t * B + b] = row[t];
      labels.push_back(examples[b].label == "yes" ? 1 : 0);
    }
  };
  ClassifierConfig c = small(CellKind::Lstm);
  c.vocab_size = vocab.size();
  c.embedding_dim = 8;
  c.hidden_size = 16;
  c.num_classes = 2;
  SequenceClassifier model(c);
  Rng rng(2);
  model.reset_parameters(rng);
  Adam adam(model.parameters(), AdamOptions{.lr = 0.01});
  Ids ids, labels;
  for (int step = 0; step < 300; ++step) {
    encode(make_recall_task(32, 5, 100 + step), ids, labels);
    zero_grad(model.parameters());
    model.forward_backward(ids, 5, 32, labels, true, true, &rng);
    adam.step();
  }
  encode(make_recall_task(500, 5, 7), ids, labels);
  Tensor logits;
  model.forward(ids, 5, 500, logits, false, nullptr);
  int correct = 0;
  for (int b = 0; b < 500; ++b) correct += (logits[2 * b + 1] > logits[2 * b]) == (labels[b] == 1);
  EXPECT_GE(correct, 450);
  set_num_threads(saved_threads);
}

TEST(ClassifierFile, SaveAndLoadRoundTrip) {
  ClassifierConfig c = small(CellKind::Gru);
  SequenceClassifier model(c);
  Rng rng(6);
  model.reset_parameters(rng);
  Vocab vocab = Vocab::from_tokens({"a", "b", "c", "d", "e"}, TokenLevel::Char, {}, {});
  const auto dir =
      std::filesystem::temp_directory_path() / ("rnnkit_classifier_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  save_classifier((dir / "last.safetensors").string(), model, vocab, {"x", "y", "z"});
  LoadedClassifier loaded = load_classifier(dir.string());
  EXPECT_EQ(loaded.labels, (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(loaded.vocab.tokens(), vocab.tokens());
  Tensor a, b;
  model.forward(Ids{0, 1, 2, 3}, 2, 2, a, false, nullptr);
  loaded.model->forward(Ids{0, 1, 2, 3}, 2, 2, b, false, nullptr);
  for (int64_t i = 0; i < a.numel(); ++i) EXPECT_EQ(a[i], b[i]);
  EXPECT_THROW(save_classifier((dir / "x.safetensors").string(), model, vocab, {"x"}), Error);
  write_safetensors((dir / "other.safetensors").string(), {}, {});
  EXPECT_THROW(load_classifier((dir / "other.safetensors").string()), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
