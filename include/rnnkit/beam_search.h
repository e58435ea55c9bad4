#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "rnnkit/language_model.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

constexpr int kMaxBeamWidth = 256;

// What beam search drives: a batch of hypotheses (token sequences) with the recurrent state after
// each. It starts as one hypothesis, the empty continuation. Implemented for language models
// (beam_search below) and seq2seq decoders (beam_decode in seq2seq.h).
class BeamDecoder {
 public:
  virtual ~BeamDecoder() = default;
  // [B, V]: the logits of the token after each hypothesis of the batch; their log_softmax is the
  // token's log-probability.
  virtual const Tensor& logits() const = 0;
  // Makes hypothesis i a copy of hypothesis parents[i] (repeats allowed; the batch becomes
  // parents.size() wide).
  virtual void reorder(std::span<const int32_t> parents) = 0;
  // Appends tokens[i] to hypothesis i and computes the logits after it.
  virtual void step(std::span<const int32_t> tokens) = 0;
};

struct BeamSearchOptions {
  int64_t beam_width = 4;  // 1..kMaxBeamWidth; 1 is greedy decoding
  int64_t max_tokens = 0;  // length of the continuation (fewer when it ends at eos)
  // A hypothesis that emits eos is finished and stops growing; nullopt: no token ends one.
  std::optional<int32_t> eos;
  // Tokens that may be chosen (1) or not (0); empty: all. The scores stay the model's own
  // log-probabilities, not renormalised over the allowed tokens.
  std::span<const uint8_t> allowed;
};

struct BeamHypothesis {
  std::vector<int32_t> tokens;  // the continuation, without the eos that finished it
  double log_prob = 0;          // sum of the log-probabilities of its tokens (eos included)
  bool ended_at_eos = false;
  bool abandoned = false;  // `wanted` said stop: no tokens
};

// Beam search for the most probable continuation. The rules (docs/DESIGN.md, "Beam search"):
// - The score of a hypothesis is the sum of its tokens' log-probabilities, eos included, with no
//   length normalisation: the search looks for the most probable sequence. Scores only fall as a
//   hypothesis grows.
// - Each step, every (live hypothesis, allowed token of finite log-probability) pair is a
//   candidate. Candidates rank by score, ties to the earlier hypothesis (previous step's rank),
//   then to the lower token id; so width 1 is exactly greedy decoding.
// - The best beam_width candidates are taken in rank order: an eos candidate is a finished
//   hypothesis, the others live on. A candidate that scores no higher than the best finished
//   hypothesis is dropped, as it can never beat it; so only the best finished one is kept, and
//   every live one scores above it.
// - The search ends when no hypothesis is live, or after max_tokens tokens; the result is then
//   the best live hypothesis (it reached max_tokens without eos) if any, else the best finished
//   one (the first found among equals).
// All live hypotheses advance through one batched step() per token. Error for a width outside
// 1..kMaxBeamWidth, a negative max_tokens, a mask of the wrong size, logits that are not one row,
// or a step where the mask and -inf logits forbid every token.
// `wanted` (when set) is asked before each step after the first; false abandons the search, for
// a caller that stopped wanting the answer (a client gone, Ctrl-C).
BeamHypothesis beam_search(BeamDecoder& decoder, const BeamSearchOptions& options,
                           const std::function<bool()>& wanted = {});

// The most probable continuation of a language model from the state after a prompt, whose
// logits [V] predict the first token.
BeamHypothesis beam_search(LanguageModel& model, const LMState& state,
                           std::span<const float> logits, const BeamSearchOptions& options,
                           const std::function<bool()>& wanted = {});

}  // namespace rnnkit
