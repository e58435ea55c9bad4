#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rnnkit/cell_kind.h"
#include "rnnkit/embedding.h"
#include "rnnkit/gradient_sink.h"
#include "rnnkit/language_model.h"
#include "rnnkit/linear.h"
#include "rnnkit/pair_corpus.h"
#include "rnnkit/rnn.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// Many-to-one sequence classification: [embedding or one-hot] -> RNN stack -> the last layer's
// final hidden state (forward and backward final states concatenated, forward first, for a
// bidirectional stack) -> linear -> softmax over the classes. PyTorch twin in docs/SEQ2SEQ.md.
struct ClassifierConfig {
  CellKind cell = CellKind::Lstm;
  int64_t vocab_size = 0;
  int64_t embedding_dim = 16;  // 0: one-hot input
  int64_t hidden_size = 64;
  int64_t num_layers = 1;
  bool bidirectional = false;
  float dropout = 0.0f;
  int64_t num_classes = 2;

  int64_t directions() const { return bidirectional ? 2 : 1; }
  void validate() const;        // Error naming the impossible setting
  std::string to_json() const;  // the "rnnkit.classifier_config" metadata
  static ClassifierConfig from_json(const std::string& json);
};

class SequenceClassifier {
 public:
  explicit SequenceClassifier(const ClassifierConfig& config);

  const ClassifierConfig& config() const { return config_; }
  ParameterList parameters();
  int64_t parameter_count();
  // PyTorch's defaults, then `remember_bias` added to bias_ih of the gate that keeps the state:
  // the LSTM forget gate or the GRU update gate (rows H..2H); Gers et al. (2000) and Jozefowicz
  // et al. (2015) start the forget gate at 1 so that memory and gradients survive long sequences
  // from the first step. Ignored for the simple RNN, which has no such gate.
  void reset_parameters(Rng& rng, float remember_bias = 0.0f);

  // ids: [T,B] time-major, every sequence T tokens long (batches are bucketed by length, so no
  // padding reaches the recurrent state). logits receives [B, num_classes].
  void forward(std::span<const int32_t> ids, int64_t T, int64_t B, Tensor& logits, bool training,
               Rng* rng);
  // Mean cross-entropy of labels [B] (class ids); with `backward` its gradient is accumulated
  // into the parameters. `logits` (when not null) receives the logits.
  LossResult forward_backward(std::span<const int32_t> ids, int64_t T, int64_t B,
                              std::span<const int32_t> labels, bool training, bool backward,
                              Rng* rng, Tensor* logits = nullptr);

  // embedding.weight (unless one-hot), rnn.*, fc.weight, fc.bias.
  std::vector<std::pair<std::string, const Tensor*>> state_dict();
  void load_state_dict(const std::map<std::string, Tensor>& tensors);  // strict

  // Data-parallel training (docs/DISTRIBUTED.md): where the next batches sit in the global
  // batch (dropout), and the sink the backward pass reports finished gradients to (or null).
  void set_data_parallel(const BatchShard& shard, GradientSink* sink);

 private:
  std::vector<std::pair<std::string, Tensor*>> named_tensors();

  ClassifierConfig config_;
  std::unique_ptr<Embedding> embedding_;
  RNN rnn_;
  Linear fc_;
  GradientSink* gradient_sink_ = nullptr;
  std::vector<int32_t> ids_;
  Tensor x_, y_, hN_, features_, logits_, dfeatures_, dhN_, dy_, dx_;
};

// A model file: safetensors with metadata "rnnkit.classifier_config", "rnnkit.vocab" and
// "rnnkit.labels" (JSON array of the class names in id order).
void save_classifier(const std::string& path, SequenceClassifier& model, const Vocab& vocab,
                     const std::vector<std::string>& labels);
struct LoadedClassifier {
  std::unique_ptr<SequenceClassifier> model;
  Vocab vocab;
  std::vector<std::string> labels;
};
// Error unless `tensors` have the sizes `config` claims (before a model is allocated from it).
void check_config_against_tensors(const ClassifierConfig& config,
                                  const std::map<std::string, Tensor>& tensors);
// Accepts a model file or a run directory (its best.safetensors, else last.safetensors).
LoadedClassifier load_classifier(const std::string& path);

// counts[actual * C + predicted] for C classes; Error for an id outside [0, C).
std::vector<int64_t> confusion_matrix(std::span<const int32_t> actual,
                                      std::span<const int32_t> predicted, int64_t num_classes);

// A task with a known answer that needs memory across the whole sequence: each text is `length`
// characters, a key (one of A..H) first, then length - 2 distractors (a..z), then a query key
// that equals the first one for label "yes" (probability 1/2) and is another key for "no". The
// key-to-query distance is length - 1 steps. Deterministic for a seed. Error for length < 2.
std::vector<LabeledText> make_recall_task(int64_t count, int64_t length, uint64_t seed);

// The latch task of the vanishing-gradient literature (Bengio et al. 1994): a key (A..H) first,
// then length - 1 distractors (a..z); the label is the key's half, "A-D" or "E-H". Only the first
// character matters, so it must be carried across length - 1 steps, and so must the gradient that
// teaches it; no comparison is needed, unlike the recall task. Error for length < 1.
std::vector<LabeledText> make_first_key_task(int64_t count, int64_t length, uint64_t seed);

}  // namespace rnnkit
