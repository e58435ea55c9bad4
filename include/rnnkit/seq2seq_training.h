#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rnnkit/pair_corpus.h"
#include "rnnkit/seq2seq.h"
#include "rnnkit/train_options.h"
#include "rnnkit/trainer.h"

namespace rnnkit {

// `rnnkit seq2seq train`: an encoder-decoder on question/answer pairs. The defaults reproduce
// Deep Learning from Scratch 2 (ch. 7): one LSTM layer of 128, embedding 16, batch 128, clipping
// at 5, 25 epochs.
struct Seq2seqTrainOptions : EngineOptions, ModelShapeOptions {
  std::string data, valid, format = "auto";
  double valid_fraction = 0.1;
  int64_t split_seed = 1984;  // numpy seed of the book's split
  bool reverse = false, peeky = false, attention = false, single_bias = false;
  std::string init = "book";
  int64_t max_answer_length = 0;  // 0: the longest answer in the data
  int64_t eval_batch = 1000;

  Seq2seqTrainOptions() {
    layers = 1;
    hidden = 128;
    embedding = 16;
    clip = 5.0;
    epochs = 25;
    batch = 128;
  }
  static const OptionTable<Seq2seqTrainOptions>& table();
  void validate() const;  // Error naming the impossible option
};

TrainSummary train_seq2seq(const Seq2seqTrainOptions& options);

// Pairs as token ids; every error names the file and line.
struct EncodedPairs {
  std::vector<std::vector<int32_t>> questions, answers;
  std::vector<int64_t> question_lengths;
  int64_t size() const { return static_cast<int64_t>(questions.size()); }
  void append(EncodedPairs&& more);
};
// Held-out pairs as a space-padded model was trained on them: questions padded as
// padded_question pads them, answers with spaces to max_answer_length (so an unpadded file scores
// as `seq2seq eval` scores it); nothing for a model trained without padding.
void pad_pairs_as_trained(const Seq2seqConfig& c, PairCorpus& corpus, const std::string& source);
EncodedPairs encode_pairs(const PairCorpus& corpus, const Vocab& vocab, const std::string& source,
                          int64_t max_answer_length);

// Exact-match accuracy and the teacher-forced loss of the pairs at `indices`.
struct Seq2seqEvaluation {
  double accuracy = 0, loss = 0;
};
Seq2seqEvaluation evaluate_seq2seq(Seq2seq& model, const EncodedPairs& data,
                                   std::span<const int64_t> indices, const Seq2seqTokens& tokens,
                                   int64_t eval_batch);

// A question as the model expects it (space-padded to the training width when the data was),
// and an answer as text (without the padding); errors name `where`.
std::vector<int32_t> prepare_question(const LoadedSeq2seq& m, std::string text,
                                      const std::string& where);
std::string answer_text(const LoadedSeq2seq& m, const std::vector<int32_t>& answer);

// Answers by beam search of `beam_width` (1 = greedy, batched).
std::vector<std::vector<int32_t>> answer_questions(LoadedSeq2seq& m,
                                                   const std::vector<std::vector<int32_t>>& qs,
                                                   int64_t beam_width);

}  // namespace rnnkit
