#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rnnkit/attention.h"
#include "rnnkit/cell_kind.h"
#include "rnnkit/embedding.h"
#include "rnnkit/gradient_sink.h"
#include "rnnkit/language_model.h"
#include "rnnkit/linear.h"
#include "rnnkit/pair_corpus.h"
#include "rnnkit/rnn.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// An encoder-decoder of Deep Learning from Scratch 2 (ch. 7-8) built from the core layers:
//
//   encoder: encoder.embedding -> encoder.rnn (L layers, D directions, hidden H)
//   decoder: decoder.embedding -> decoder.rnn (L layers, one direction, hidden D*H) -> decoder.fc
//
// Layer l of the decoder starts from the final hidden states of encoder layer l (both directions
// concatenated, forward first) and, for an LSTM, a zero cell state, as in the book. With `peeky`
// the encoder summary s (the decoder's initial state of the last layer, [B, D*H]) is concatenated
// before the embedding at every decoder input and before the decoder output at every input of
// the output layer. With `attention` every decoder output attends over all encoder outputs
// (dot-product scores) and the context is concatenated before the decoder output. So
//   decoder.rnn input:  [s (peeky), embedding]
//   decoder.fc input:   [s (peeky), context (attention), decoder output]
// `reverse_input` feeds the question to the encoder last character first.
struct Seq2seqConfig {
  CellKind cell = CellKind::Lstm;
  int64_t vocab_size = 0;  // one vocabulary for questions and answers
  int64_t embedding_dim = 16;
  int64_t hidden_size = 128;  // per encoder direction
  int64_t num_layers = 1;
  bool bidirectional = false;  // the encoder's
  float dropout = 0.0f;        // between stacked layers, as torch.nn.LSTM(dropout=...)
  bool reverse_input = false;
  bool peeky = false;
  bool attention = false;
  // Answer tokens the decoder generates at most (the longest training answer).
  int64_t max_answer_length = 1;
  // Set when the training data was fixed-width with trailing spaces (the book's files): then
  // every question is `question_width` characters, and prediction pads shorter questions with
  // spaces to that width and drops the trailing spaces of its answers.
  bool space_padded = false;
  int64_t question_width = 0;
  // The book's LSTM has one bias per gate; PyTorch's has two (bias_ih + bias_hh), which Adam
  // moves twice as fast in sum. With single_bias the recurrent bias_hh tensors stay 0 and are
  // left out of parameters(), so bias_ih alone plays the book's bias (the file still holds both).
  bool single_bias = false;

  int64_t directions() const { return bidirectional ? 2 : 1; }
  int64_t decoder_hidden_size() const { return directions() * hidden_size; }
  int64_t decoder_input_size() const;  // embedding_dim (+ D*H when peeky)
  int64_t output_input_size() const;   // D*H (+ D*H when peeky, + D*H with attention)
  void validate() const;               // Error naming the impossible setting
  std::string to_json() const;         // the "rnnkit.seq2seq_config" metadata
  static Seq2seqConfig from_json(const std::string& json);
};

// Initialisation: PyTorch's defaults (embedding N(0,1); recurrent and linear weights and biases
// uniform in +-1/sqrt(fan)), or the book's (embedding N(0,1)/100; weight_ih N(0,1)/sqrt(input),
// weight_hh N(0,1)/sqrt(hidden), fc weight N(0,1)/sqrt(input); all biases 0).
enum class Seq2seqInit { PyTorch, Book };
Seq2seqInit parse_seq2seq_init(std::string_view name);  // "pytorch" or "book"

// Token ids of a batch, time-major. Questions are in reading order (the model reverses them when
// configured) and all of the same length: batches are bucketed by question length, so the
// encoder never sees padding.
struct Seq2seqBatch {
  int64_t question_steps = 0, answer_steps = 0, batch = 0;
  std::vector<int32_t> questions;       // [Tq,B]
  std::vector<int32_t> decoder_inputs;  // [Ta,B]: bos, answer...
  std::vector<int32_t> targets;         // [Ta,B]: answer... (eos), then kIgnoreIndex
};

// The special tokens a seq2seq vocabulary defines: the decoder's start token (bos) and, when
// answers differ in length, the end token (eos, -1 when absent).
struct Seq2seqTokens {
  int32_t bos = 0;
  int32_t eos = -1;
};
Seq2seqTokens seq2seq_tokens(const Vocab& vocab);  // Error when the vocabulary has no bos

// Teacher forcing: decoder inputs bos + answer, targets answer + eos. Without eos the last answer
// token is never an input (the book's t[:, :-1] / t[:, 1:]). Answers shorter than the longest are
// completed with ignored targets. Error for questions of different lengths, empty sequences or an
// answer longer than max_answer_length. Answers are padded as if the longest had at least
// pad_answers_to tokens: a data-parallel share pads like its whole batch (batch_shard.h).
Seq2seqBatch make_seq2seq_batch(std::span<const std::vector<int32_t>* const> questions,
                                std::span<const std::vector<int32_t>* const> answers,
                                const Seq2seqTokens& tokens, int64_t max_answer_length,
                                int64_t pad_answers_to = 0);

// The recurrent state of the decoder between generation steps: [L, B, D*H] (c for LSTM only;
// empty means zeros).
struct DecoderState {
  Tensor h, c;
};

class Seq2seq {
 public:
  explicit Seq2seq(const Seq2seqConfig& config);

  const Seq2seqConfig& config() const { return config_; }
  // The trained parameters (without the bias_hh tensors under single_bias).
  ParameterList parameters();
  int64_t parameter_count();
  void reset_parameters(Rng& rng, Seq2seqInit init);

  // Mean cross-entropy of the targets under teacher forcing; with `backward` the gradient of that
  // mean is accumulated into the parameters. rng draws dropout masks (training with dropout only).
  LossResult forward_backward(const Seq2seqBatch& batch, bool training, bool backward, Rng* rng);

  // Generation. encode() runs the encoder over questions [Tq,B] (reading order), keeps its
  // outputs as the memory of the following steps and puts the decoder's initial state in `state`.
  void encode(std::span<const int32_t> questions, int64_t steps, int64_t batch,
              DecoderState& state);
  // Keeps the memory of the given batch columns, in that order (repeats allowed): beam search
  // runs one question's hypotheses as a batch.
  void select_memory(std::span<const int32_t> columns);
  // One decoder step for ids [B]: logits [B,V]; advances `state`. With attention, `weights`
  // (when not null) receives the attention weights [B, Tq] over the encoder steps in reading
  // order.
  void decode_step(std::span<const int32_t> ids, DecoderState& state, Tensor& logits,
                   Tensor* weights = nullptr);

  // Tensors under the names of the PyTorch module in docs/SEQ2SEQ.md: encoder.embedding.weight,
  // encoder.rnn.weight_ih_l0, ..., decoder.embedding.weight, decoder.rnn.*, decoder.fc.*.
  std::vector<std::pair<std::string, const Tensor*>> state_dict();
  // Strict load: a missing, unexpected or misshapen tensor is an Error naming it.
  void load_state_dict(const std::map<std::string, Tensor>& tensors);

  // Data-parallel training (docs/DISTRIBUTED.md): where the next batches sit in the global
  // batch (dropout), and the sink the backward pass reports finished gradients to (or null).
  void set_data_parallel(const BatchShard& shard, GradientSink* sink);

 private:
  ParameterList all_parameters();
  std::vector<std::pair<std::string, Tensor*>> named_tensors();
  void run_encoder(std::span<const int32_t> questions, int64_t T, int64_t B, bool training,
                   Rng* rng);
  void build_decoder_input(const Tensor& embedded, int64_t steps, int64_t B);
  const float* build_output_input(const Tensor& y, const Tensor& context, int64_t rows, int64_t B);

  Seq2seqConfig config_;
  Embedding encoder_embedding_, decoder_embedding_;
  RNN encoder_, decoder_;
  Linear fc_;
  GradientSink* gradient_sink_ = nullptr;
  DotProductAttention attention_;

  std::vector<int32_t> encoder_ids_;
  // Encoder outputs (the attention memory), decoder initial state, summary s.
  Tensor encoder_x_, memory_, encoder_hN_, decoder_h0_, summary_;
  Tensor decoder_emb_, decoder_x_, decoder_y_, context_, output_in_, logits_;
  Tensor doutput_in_, ddecoder_y_, dcontext_, dqueries_, dmemory_, ddecoder_x_, demb_;
  Tensor ddecoder_h0_, dencoder_hN_, dencoder_x_, dsummary_, step_hN_, step_cN_;
};

// Greedy answers (token ids, without eos) to questions given as token ids in reading order, in
// batches of questions of equal length. Generation stops at eos or after max_answer_length tokens.
std::vector<std::vector<int32_t>> greedy_decode(Seq2seq& model,
                                                const std::vector<std::vector<int32_t>>& questions,
                                                const Seq2seqTokens& tokens,
                                                int64_t max_batch = 1000);

// The greedy answer to one question and, for an attention model, the attention weights of every
// decoder step over the question in reading order: [steps, question length], one row per
// generated token (and one for eos when it was generated).
std::vector<int32_t> greedy_decode_with_attention(Seq2seq& model,
                                                  const std::vector<int32_t>& question,
                                                  const Seq2seqTokens& tokens, Tensor& weights);

// The answer to one question by the beam search of beam_search.h (defined with it in
// src/generate/): the most probable answer the beam finds, by the sum of log-probabilities, among
// those that ended with eos or reached max_answer_length (every one has that length when the
// vocabulary has no eos). beam_width 1..kMaxBeamWidth; 1 is greedy decoding.
std::vector<int32_t> beam_decode(Seq2seq& model, const std::vector<int32_t>& question,
                                 const Seq2seqTokens& tokens, int64_t beam_width);

// The character vocabulary of a pair corpus: characters in order of first appearance (question,
// '_' for the underscore format, then answer, line by line: the id order of the book's
// dataset/sequence.py), then "<bos>" for TSV (the underscore format starts the decoder with '_')
// and "<eos>" when the answers differ in length.
Vocab build_seq2seq_vocab(const PairCorpus& corpus);

// A model file: safetensors with metadata "rnnkit.seq2seq_config" and "rnnkit.vocab".
void save_seq2seq(const std::string& path, Seq2seq& model, const Vocab& vocab);
struct LoadedSeq2seq {
  std::unique_ptr<Seq2seq> model;
  Vocab vocab;
};
// Error unless `tensors` have the sizes `config` claims (before a model is allocated from it).
void check_config_against_tensors(const Seq2seqConfig& config,
                                  const std::map<std::string, Tensor>& tensors);
// Accepts a model file or a run directory (its best.safetensors, else last.safetensors).
LoadedSeq2seq load_seq2seq(const std::string& path);

}  // namespace rnnkit
