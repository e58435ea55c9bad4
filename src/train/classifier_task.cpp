// Many-to-one sequence classifiers as a training task.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "rnnkit/classifier_training.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/gemm.h"
#include "train/family_tasks.h"
#include "train/fingerprint.h"
#include "train/model_shape.h"
#include "train/model_task.h"
#include "train/shuffled_batches.h"
#include "train/train_state.h"

namespace rnnkit {
namespace {

using json = nlohmann::json;
using Ids = std::vector<int32_t>;

int32_t argmax(const std::vector<float>& x) {
  return static_cast<int32_t>(std::max_element(x.begin(), x.end()) - x.begin());
}

json confusion_json(const std::vector<int64_t>& counts, size_t C) {
  json rows = json::array();
  for (size_t r = 0; r < C; ++r)
    rows.push_back(std::vector<int64_t>(counts.begin() + r * C, counts.begin() + (r + 1) * C));
  return rows;
}

std::vector<std::string> stored_labels(const SafetensorsFile& state) {
  const json labels = json::parse(stored(state, "rnnkit.labels"), nullptr, false);
  if (!labels.is_array() ||
      !std::all_of(labels.begin(), labels.end(), [](const json& l) { return l.is_string(); }))
    throw Error("state.bin: rnnkit.labels must be a JSON array of strings");
  return labels.get<std::vector<std::string>>();
}

class ClassifierTask : public ShuffledModelTask<SequenceClassifier> {
 public:
  ClassifierTask(const ClassifierTrainOptions& o, Rng& rng, const SafetensorsFile* state) : o_(o) {
    const TokenLevel level = parse_token_level(o.level);
    std::vector<LabeledText> raw = read_labeled_texts(o.data);
    if (state) {
      vocab_ = Vocab::from_json(stored(*state, "rnnkit.vocab"));
      labels_ = stored_labels(*state);
    } else {
      std::set<std::string> label_set;
      std::vector<std::string> tokens;
      for (const LabeledText& ex : raw) {
        label_set.insert(ex.label);
        for (std::string& t : tokenize(ex.text, level, {}, {})) tokens.push_back(std::move(t));
      }
      labels_.assign(label_set.begin(), label_set.end());
      if (labels_.size() < 2)
        throw Error(o.data + ": every text has the label \"" + labels_[0] +
                    "\"; a classifier needs two");
      vocab_ = Vocab::build(tokens, level, {}, {});
    }
    data_ = encode_examples(raw, vocab_, labels_, o.data);
    const int64_t n = data_.size();
    if (!o.valid.empty())
      data_.append(encode_examples(read_labeled_texts(o.valid), vocab_, labels_, o.valid));
    IndexSplit split =
        held_out_split(n, data_.size() - n, static_cast<uint32_t>(o.split_seed), o.valid_fraction);
    train_idx_ = std::move(split.train);
    test_idx_ = std::move(split.test);
    if (state) {
      const ClassifierConfig config =
          ClassifierConfig::from_json(stored(*state, "rnnkit.classifier_config"));
      check_config_against_tensors(config, model_tensors_of(*state));
      model_ = std::make_unique<SequenceClassifier>(config);
    } else {
      // A resumed run was checked when it started, on the same split.
      check_every_label_is_trained(o);
      ClassifierConfig c;
      apply_model_shape(o, c);
      c.vocab_size = vocab_.size();
      c.num_classes = static_cast<int64_t>(labels_.size());
      if (o.remember_bias != 0 && remember_gate(c.cell) < 0)
        throw Error(
            "--remember-bias acts on the LSTM's forget gate and the GRU's update gate; --cell " +
            o.cell + " has neither, so it would do nothing");
      model_ = std::make_unique<SequenceClassifier>(c);
      model_->reset_parameters(rng, static_cast<float>(o.remember_bias));
    }
    batches_ = std::make_unique<ShuffledBatches>(train_idx_, data_.lengths, o.batch);
    start_epoch(rng);
  }

  // A label whose texts all fell in the held-out part would be a class the model never saw
  // trained, scored as one (a --valid file's unknown label is refused the same way).
  void check_every_label_is_trained(const ClassifierTrainOptions& o) const {
    std::vector<int64_t> trained(labels_.size(), 0), held_out(labels_.size(), 0);
    for (const int64_t i : train_idx_) ++trained[data_.labels[i]];
    for (const int64_t i : test_idx_) ++held_out[data_.labels[i]];
    for (size_t l = 0; l < labels_.size(); ++l)
      if (trained[l] == 0)
        throw Error(o.data + ": the label \"" + labels_[l] + "\" has no training text: " +
                    (held_out[l] == 1 ? std::string("its one text fell")
                                      : "its " + std::to_string(held_out[l]) + " texts all fell") +
                    " in the held-out part " +
                    "(--valid-fraction, --split-seed); give it more texts or the held-out texts " +
                    "in a --valid file");
  }

  std::string family() const override { return "classify"; }
  std::map<std::string, std::string> model_metadata() override {
    return {{"rnnkit.classifier_config", model_->config().to_json()},
            {"rnnkit.vocab", vocab_.to_json()},
            {"rnnkit.labels", json(labels_).dump()}};
  }

  std::string description() override {
    return std::to_string(train_idx_.size()) + " training and " + std::to_string(test_idx_.size()) +
           " held-out texts, " + std::to_string(labels_.size()) + " classes, vocabulary " +
           std::to_string(vocab_.size());
  }

  bool train_next(Rng& rng, LossResult& loss) override {
    std::vector<int64_t> members;
    if (!next_batch(members)) return false;
    loss = {};
    if (members.empty()) return true;
    const int64_t B = static_cast<int64_t>(members.size()), T = data_.lengths[members[0]];
    Ids ids(T * B), targets(B);
    for (int64_t b = 0; b < B; ++b) {
      targets[b] = data_.labels[members[b]];
      for (int64_t t = 0; t < T; ++t) ids[t * B + b] = data_.texts[members[b]][t];
    }
    loss = model_->forward_backward(ids, T, B, targets, true, true, &rng);
    return true;
  }

  uint64_t data_fingerprint() override {
    Fingerprint f;
    f.add(vocab_.to_json()).add(data_.texts).add(std::span<const int32_t>(data_.labels));
    for (const std::string& label : labels_) f.add(label);
    return f.add(std::span<const int64_t>(train_idx_)).value();
  }

  std::optional<ValidationResult> validate() override {
    if (test_idx_.empty()) return std::nullopt;
    // Each rank scores a share; the confusion matrices add up.
    const DataParallel::Share share = parallel_.share(test_idx_.size());
    ClassifierEvaluation e = evaluate_classifier(
        *model_, data_, std::span<const int64_t>(test_idx_).subspan(share.first, share.count));
    // The confusion counts and, last, this share's loss sum: one sum across the ranks.
    std::vector<double> counts(e.confusion.begin(), e.confusion.end());
    counts.resize(labels_.size() * labels_.size());
    counts.push_back(e.loss * static_cast<double>(share.count));
    parallel_.sum(counts);
    const double loss_sum = counts.back();
    counts.pop_back();
    double right = 0, all = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
      e.confusion[i] = static_cast<int64_t>(counts[i]);
      all += counts[i];
      if (i / labels_.size() == i % labels_.size()) right += counts[i];
    }
    e.accuracy = all > 0 ? right / all : 0;
    e.loss = all > 0 ? loss_sum / all : 0;
    char summary[64];
    std::snprintf(summary, sizeof summary, "accuracy %.2f%%", 100.0 * e.accuracy);
    return ValidationResult{-e.accuracy,
                            {{"valid_loss", e.loss},
                             {"accuracy", e.accuracy},
                             {"confusion", confusion_json(e.confusion, labels_.size())}},
                            summary};
  }

 private:
  ClassifierTrainOptions o_;
  Vocab vocab_;
  std::vector<std::string> labels_;
  EncodedExamples data_;
  std::vector<int64_t> train_idx_, test_idx_;
};

}  // namespace

EncodedExamples encode_examples(const std::vector<LabeledText>& raw, const Vocab& vocab,
                                const std::vector<std::string>& labels, const std::string& source) {
  EncodedExamples out;
  for (const LabeledText& ex : raw) {
    const std::string where = source + ":" + std::to_string(ex.line);
    auto it = std::find(labels.begin(), labels.end(), ex.label);
    if (it == labels.end()) throw Error(where + ": unknown label \"" + ex.label + "\"");
    out.texts.push_back(vocab.encode_at(ex.text, where));
    if (out.texts.back().empty()) throw Error(where + ": the text has no tokens");
    out.labels.push_back(static_cast<int32_t>(it - labels.begin()));
    out.lengths.push_back(static_cast<int64_t>(out.texts.back().size()));
  }
  return out;
}

void EncodedExamples::append(EncodedExamples&& more) {
  std::move(more.texts.begin(), more.texts.end(), std::back_inserter(texts));
  labels.insert(labels.end(), more.labels.begin(), more.labels.end());
  lengths.insert(lengths.end(), more.lengths.begin(), more.lengths.end());
}

EncodedExamples encode_texts(const std::vector<std::pair<std::string, std::string>>& texts,
                             const Vocab& vocab) {
  EncodedExamples out;
  for (const auto& [text, where] : texts) {
    out.texts.push_back(vocab.encode_at(text, where));
    if (out.texts.back().empty()) throw Error(where + ": the text has no tokens");
    out.lengths.push_back(static_cast<int64_t>(out.texts.back().size()));
  }
  return out;
}

std::vector<std::vector<float>> classify_texts(SequenceClassifier& model,
                                               const EncodedExamples& data,
                                               std::span<const int64_t> indices) {
  std::vector<std::vector<float>> out(data.texts.size());
  Tensor logits;
  const int64_t C = model.config().num_classes;
  for (const auto& members : length_bucketed_batches(indices, data.lengths, 512, nullptr)) {
    const int64_t B = static_cast<int64_t>(members.size()), T = data.lengths[members[0]];
    Ids ids(T * B);
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t) ids[t * B + b] = data.texts[members[b]][t];
    model.forward(ids, T, B, logits, false, nullptr);
    for (int64_t b = 0; b < B; ++b)
      out[members[b]].assign(logits.data() + b * C, logits.data() + (b + 1) * C);
  }
  return out;
}

std::vector<LabelPrediction> predict_labels(SequenceClassifier& model,
                                            const EncodedExamples& data) {
  std::vector<int64_t> all(data.texts.size());
  std::iota(all.begin(), all.end(), int64_t{0});
  std::vector<LabelPrediction> predictions;
  for (const std::vector<float>& row : classify_texts(model, data, all)) {
    LabelPrediction& p = predictions.emplace_back();
    // From the logits: two of them a rounding apart can give equal probabilities.
    p.label = argmax(row);
    p.probabilities.resize(row.size());
    log_softmax(row.data(), static_cast<int64_t>(row.size()), p.probabilities.data());
    for (float& q : p.probabilities) q = std::exp(q);
  }
  return predictions;
}

ClassifierEvaluation evaluate_classifier(SequenceClassifier& model, const EncodedExamples& data,
                                         std::span<const int64_t> indices) {
  std::vector<std::vector<float>> logits = classify_texts(model, data, indices);
  std::vector<int32_t> actual, predicted;
  for (int64_t i : indices)
    actual.push_back(data.labels[i]), predicted.push_back(argmax(logits[i]));
  ClassifierEvaluation e;
  e.confusion = confusion_matrix(actual, predicted, model.config().num_classes);
  int64_t correct = 0;
  double loss = 0;
  for (size_t k = 0; k < actual.size(); ++k) {
    correct += actual[k] == predicted[k];
    const std::vector<float>& row = logits[indices[k]];
    std::vector<float> log_probs(row.size());
    log_softmax(row.data(), static_cast<int64_t>(row.size()), log_probs.data());
    loss -= log_probs[static_cast<size_t>(actual[k])];
  }
  e.accuracy = actual.empty() ? 0.0 : static_cast<double>(correct) / actual.size();
  e.loss = actual.empty() ? 0.0 : loss / static_cast<double>(actual.size());
  return e;
}

void ClassifierTrainOptions::validate() const {
  validate_family_options(*this);
}

const OptionTable<ClassifierTrainOptions>& ClassifierTrainOptions::table() {
  using O = ClassifierTrainOptions;
  static const OptionTable<O> t = family_option_table<O>({
      {"--data", "data", &O::data, "label<TAB>text, one per line", {}, "Data"},
      {"--valid",
       "valid",
       &O::valid,
       "held-out texts (default: a shuffled share of --data)",
       {},
       "Data"},
      {"--valid-fraction", "valid_fraction", &O::valid_fraction, "held-out share of --data",
       above_up_to(0, 0.99), "Data"},
      {"--split-seed", "split_seed", &O::split_seed, "seed of the held-out split",
       between(0, 4294967295.0), "Data"},
      {"--level", "level", &O::level, "char | word", one_of({"char", "word"}), "Data"},
      {"--remember-bias", "remember_bias", &O::remember_bias,
       "added to the initial bias of the LSTM forget / GRU update gate", between(-100, 100),
       "Model"},
  });
  return t;
}

TrainSummary train_classifier_from(const ClassifierTrainOptions& options,
                                   const SafetensorsFile* state) {
  return train_family<ClassifierTask>(options, state);
}

TrainSummary train_classifier(const ClassifierTrainOptions& options) {
  return train_classifier_from(options, nullptr);
}

}  // namespace rnnkit
