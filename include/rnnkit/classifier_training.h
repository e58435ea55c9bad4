#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "rnnkit/classifier.h"
#include "rnnkit/train_options.h"
#include "rnnkit/trainer.h"

namespace rnnkit {

// `rnnkit classify train`: a many-to-one classifier on label<TAB>text lines.
struct ClassifierTrainOptions : EngineOptions, ModelShapeOptions {
  std::string data, valid, level = "char";
  double valid_fraction = 0.1;
  int64_t split_seed = 1984;
  double remember_bias = 0.0;

  ClassifierTrainOptions() {
    layers = 1;
    hidden = 64;
    embedding = 16;
    clip = 5.0;
    epochs = 10;
  }
  static const OptionTable<ClassifierTrainOptions>& table();
  void validate() const;  // Error naming the impossible option
};

TrainSummary train_classifier(const ClassifierTrainOptions& options);

// Labelled texts as ids; every error names the file and line.
struct EncodedExamples {
  std::vector<std::vector<int32_t>> texts;
  std::vector<int32_t> labels;
  std::vector<int64_t> lengths;
  int64_t size() const { return static_cast<int64_t>(texts.size()); }
  void append(EncodedExamples&& more);
};
EncodedExamples encode_examples(const std::vector<LabeledText>& raw, const Vocab& vocab,
                                const std::vector<std::string>& labels, const std::string& source);
// Texts to classify (no labels), each with where it came from ("stdin:3") for errors.
EncodedExamples encode_texts(const std::vector<std::pair<std::string, std::string>>& texts,
                             const Vocab& vocab);

// The logits [C] of each text at `indices` (others stay empty), batched by length.
std::vector<std::vector<float>> classify_texts(SequenceClassifier& model,
                                               const EncodedExamples& data,
                                               std::span<const int64_t> indices);

// Each text's label (the argmax of its logits, the first of equals) and the probabilities of all
// labels (the logits' softmax), as `rnnkit classify predict --probabilities` prints them.
struct LabelPrediction {
  int32_t label = 0;
  std::vector<float> probabilities;
};
std::vector<LabelPrediction> predict_labels(SequenceClassifier& model, const EncodedExamples& data);

struct ClassifierEvaluation {
  double accuracy = 0;
  double loss = 0;                 // mean cross-entropy, the training loss's measure
  std::vector<int64_t> confusion;  // [actual * C + predicted]
};
ClassifierEvaluation evaluate_classifier(SequenceClassifier& model, const EncodedExamples& data,
                                         std::span<const int64_t> indices);

}  // namespace rnnkit
