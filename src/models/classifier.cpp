#include "rnnkit/classifier.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "rnnkit/checkpoint.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/gemm.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/stack_config.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

const ClassifierConfig& validated(const ClassifierConfig& c) {
  c.validate();
  return c;
}

RNNOptions rnn_options(const ClassifierConfig& c) {
  return {c.cell,          c.embedding_dim ? c.embedding_dim : c.vocab_size,
          c.hidden_size,   c.num_layers,
          c.bidirectional, c.dropout};
}

// A task of no examples would be a file that nothing can train on.
// The examples are made in memory: a count or length that would not fit is named, not met by
// an allocation failure.
constexpr int64_t kMaxTaskCharacters = int64_t{1} << 32;

void check_example_count(int64_t count, int64_t length) {
  if (count < 1)
    throw Error("the number of examples must be at least 1, got " + std::to_string(count));
  if (length > kMaxTaskCharacters / count)
    throw Error(counted(count, "example", "examples") + " of " + std::to_string(length) +
                " characters are more than the " + std::to_string(kMaxTaskCharacters) +
                " characters a generated task may hold");
}

}  // namespace

void ClassifierConfig::validate() const {
  validate_stack(*this, false);
  if (num_classes < 2)
    throw Error("a classifier needs at least 2 classes, got " + std::to_string(num_classes));
  require_size(num_classes, "num_classes");
}

std::string ClassifierConfig::to_json() const {
  nlohmann::json j = stack_to_json(*this);
  j["num_classes"] = num_classes;
  return j.dump();
}

ClassifierConfig ClassifierConfig::from_json(const std::string& text) {
  const ConfigReader r(text, "classifier config");
  ClassifierConfig c;
  read_stack(r, c, true);
  c.num_classes = r.integer("num_classes", 0, true);
  if (!r.json().contains("bidirectional"))
    throw Error("classifier config: \"bidirectional\" must be true or false");
  r.refuse_unknown_keys(c.to_json());
  c.validate();
  return c;
}

SequenceClassifier::SequenceClassifier(const ClassifierConfig& config)
    : config_(validated(config)),
      embedding_(config.embedding_dim
                     ? std::make_unique<Embedding>(config.vocab_size, config.embedding_dim)
                     : nullptr),
      rnn_(rnn_options(config)),
      fc_(rnn_.output_size(), config.num_classes, "fc") {}

ParameterList SequenceClassifier::parameters() {
  ParameterList params;
  if (embedding_) params.push_back(&embedding_->weight);
  for (Parameter* p : rnn_.parameters()) params.push_back(p);
  for (Parameter* p : fc_.parameters()) params.push_back(p);
  return params;
}

int64_t SequenceClassifier::parameter_count() {
  int64_t n = 0;
  for (Parameter* p : parameters()) n += p->value.numel();
  return n;
}

void SequenceClassifier::reset_parameters(Rng& rng, float remember_bias) {
  if (embedding_) embedding_->reset_parameters(rng);
  rnn_.reset_parameters(rng);
  fc_.reset_parameters(rng);
  const int gate = remember_gate(config_.cell);
  if (gate < 0) return;
  const int64_t H = config_.hidden_size;
  for (int64_t l = 0; l < config_.num_layers; ++l)
    for (int64_t d = 0; d < config_.directions(); ++d) {
      float* bias = rnn_.layer(l, d).bias_ih.value.data() + gate * H;
      for (int64_t i = 0; i < H; ++i) bias[i] += remember_bias;
    }
}

void SequenceClassifier::forward(std::span<const int32_t> ids, int64_t T, int64_t B, Tensor& logits,
                                 bool training, Rng* rng) {
  if (T <= 0 || B <= 0 || static_cast<int64_t>(ids.size()) != T * B)
    throw Error("classifier: " + std::to_string(ids.size()) + " token ids for " +
                std::to_string(T) + " steps x " + std::to_string(B) + " sequences");
  ids_.assign(ids.begin(), ids.end());
  if (embedding_) {
    x_.resize({T, B, config_.embedding_dim});
    embedding_->forward(ids_, x_.data());
    rnn_.forward(x_, nullptr, nullptr, y_, &hN_, nullptr, training, rng);
  } else {
    rnn_.forward_one_hot(ids_, T, B, nullptr, nullptr, y_, &hN_, nullptr, training, rng);
  }
  const int64_t D = config_.directions(), H = config_.hidden_size, L = config_.num_layers;
  features_.resize({B, D * H});
  for (int64_t d = 0; d < D; ++d)
    rows::copy(B, H, hN_.data() + ((L - 1) * D + d) * B * H, H, features_.data() + d * H, D * H);
  logits.resize({B, config_.num_classes});
  fc_.forward(features_.data(), D * H, B, logits.data(), config_.num_classes);
}

void SequenceClassifier::set_data_parallel(const BatchShard& shard, GradientSink* sink) {
  rnn_.set_batch_shard(shard);
  gradient_sink_ = sink;
}

LossResult SequenceClassifier::forward_backward(std::span<const int32_t> ids, int64_t T, int64_t B,
                                                std::span<const int32_t> labels, bool training,
                                                bool backward, Rng* rng, Tensor* logits) {
  if (static_cast<int64_t>(labels.size()) != B)
    throw Error("classifier: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(B) + " sequences");
  forward(ids, T, B, logits_, training, rng);
  if (logits) *logits = logits_;
  const int64_t C = config_.num_classes, D = config_.directions(), H = config_.hidden_size;
  CrossEntropySum ce =
      softmax_cross_entropy(logits_.data(), B, C, C, labels.data(), kIgnoreIndex,
                            backward ? logits_.data() : nullptr, 1.0f / static_cast<float>(B));
  LossResult result{ce.loss_sum, ce.count};
  if (!backward) return result;
  dfeatures_.resize({B, D * H});
  fc_.backward(features_.data(), D * H, B, logits_.data(), C, dfeatures_.data(), D * H);
  const GradientReport report{gradient_sink_, B};
  report(fc_.parameters());
  dhN_.resize(rnn_.state_shape(B));
  dhN_.zero();
  const int64_t L = config_.num_layers;
  for (int64_t d = 0; d < D; ++d)
    rows::copy(B, H, dfeatures_.data() + d * H, D * H, dhN_.data() + ((L - 1) * D + d) * B * H, H);
  dy_.resize({T, B, D * H});
  dy_.zero();
  rnn_.backward(dy_, &dhN_, nullptr, embedding_ ? &dx_ : nullptr, nullptr, nullptr, report);
  if (embedding_) embedding_->backward(ids_, dx_.data());
  return result;
}

std::vector<std::pair<std::string, Tensor*>> SequenceClassifier::named_tensors() {
  std::vector<std::pair<std::string, Tensor*>> tensors;
  for (Parameter* p : parameters()) tensors.emplace_back(p->name, &p->value);
  return tensors;
}

std::vector<std::pair<std::string, const Tensor*>> SequenceClassifier::state_dict() {
  auto named = named_tensors();
  return {named.begin(), named.end()};
}

void SequenceClassifier::load_state_dict(const std::map<std::string, Tensor>& tensors) {
  load_state_dict_strict(named_tensors(), tensors);
  note_weights_changed();
}

void save_classifier(const std::string& path, SequenceClassifier& model, const Vocab& vocab,
                     const std::vector<std::string>& labels) {
  if (static_cast<int64_t>(labels.size()) != model.config().num_classes)
    throw Error("save_classifier: " + std::to_string(labels.size()) + " labels for " +
                std::to_string(model.config().num_classes) + " classes");
  write_safetensors(path, model.state_dict(),
                    {{"rnnkit.classifier_config", model.config().to_json()},
                     {"rnnkit.vocab", vocab.to_json()},
                     {"rnnkit.labels", nlohmann::json(labels).dump()}});
}

void check_config_against_tensors(const ClassifierConfig& config,
                                  const std::map<std::string, Tensor>& t) {
  expect_dimension(t, "fc.weight", 0, config.num_classes, "num_classes");
  expect_dimension(t, "fc.weight", 1, config.directions() * config.hidden_size, "hidden_size");
  if (config.embedding_dim)
    expect_dimension(t, "embedding.weight", 0, config.vocab_size, "vocab_size");
  if (count_numbered(t, "rnn.weight_hh_l") != config.num_layers)
    throw Error("the configuration's num_layers does not match the tensors");
}

LoadedClassifier load_classifier(const std::string& path) {
  const std::string file = resolve_model_path(path);
  SafetensorsFile contents = read_safetensors(file);
  const std::string what = "a classifier model";
  return naming_file(file, [&] {
    ClassifierConfig config = ClassifierConfig::from_json(
        require_metadata(contents, "rnnkit.classifier_config", file, what));
    LoadedClassifier loaded{
        nullptr, Vocab::from_json(require_metadata(contents, "rnnkit.vocab", file, what)), {}};
    nlohmann::json labels = nlohmann::json::parse(
        require_metadata(contents, "rnnkit.labels", file, what), nullptr, false);
    if (!labels.is_array()) throw Error("rnnkit.labels must be a JSON array of strings");
    for (const auto& label : labels) {
      if (!label.is_string()) throw Error("rnnkit.labels must be a JSON array of strings");
      loaded.labels.push_back(label.get<std::string>());
    }
    if (static_cast<int64_t>(loaded.labels.size()) != config.num_classes)
      throw Error(std::to_string(loaded.labels.size()) + " labels for " +
                  std::to_string(config.num_classes) + " classes");
    if (loaded.vocab.size() != config.vocab_size)
      throw Error("the vocabulary has " + std::to_string(loaded.vocab.size()) +
                  " tokens but the model " + std::to_string(config.vocab_size));
    const auto& t = contents.tensors;
    check_config_against_tensors(config, t);
    loaded.model = std::make_unique<SequenceClassifier>(config);
    loaded.model->load_state_dict(t);
    return loaded;
  });
}

std::vector<int64_t> confusion_matrix(std::span<const int32_t> actual,
                                      std::span<const int32_t> predicted, int64_t num_classes) {
  if (actual.size() != predicted.size())
    throw Error("confusion_matrix: " + std::to_string(actual.size()) + " labels but " +
                std::to_string(predicted.size()) + " predictions");
  std::vector<int64_t> counts(num_classes * num_classes, 0);
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] < 0 || actual[i] >= num_classes || predicted[i] < 0 ||
        predicted[i] >= num_classes)
      throw Error("confusion_matrix: class id outside [0, " + std::to_string(num_classes) + ")");
    ++counts[actual[i] * num_classes + predicted[i]];
  }
  return counts;
}

std::vector<LabeledText> make_recall_task(int64_t count, int64_t length, uint64_t seed) {
  if (length < 2) throw Error("the recall task needs sequences of at least 2 characters");
  check_example_count(count, length);
  constexpr int kKeys = 8;
  Rng rng(seed);
  std::vector<LabeledText> examples;
  examples.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    const auto key = static_cast<char>('A' + rng.below(kKeys));
    std::string text(1, key);
    for (int64_t k = 0; k < length - 2; ++k) text += static_cast<char>('a' + rng.below(26));
    const bool recurs = rng.below(2) == 1;
    char query = key;
    if (!recurs) query = static_cast<char>('A' + (key - 'A' + 1 + rng.below(kKeys - 1)) % kKeys);
    text += query;
    examples.push_back({recurs ? "yes" : "no", std::move(text), i + 1});
  }
  return examples;
}

std::vector<LabeledText> make_first_key_task(int64_t count, int64_t length, uint64_t seed) {
  if (length < 1) throw Error("the first-key task needs sequences of at least 1 character");
  check_example_count(count, length);
  Rng rng(seed);
  std::vector<LabeledText> examples;
  examples.reserve(count);
  for (int64_t i = 0; i < count; ++i) {
    const auto key = static_cast<char>('A' + rng.below(8));
    std::string text(1, key);
    for (int64_t k = 0; k < length - 1; ++k) text += static_cast<char>('a' + rng.below(26));
    examples.push_back({key < 'E' ? "A-D" : "E-H", std::move(text), i + 1});
  }
  return examples;
}

}  // namespace rnnkit
