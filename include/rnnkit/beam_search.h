#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "rnnkit/language_model.h"

namespace rnnkit {

constexpr int kMaxBeamWidth = 256;

struct BeamSearchOptions {
  int beam_width = 4;      // 1..kMaxBeamWidth; 1 is greedy decoding
  int64_t max_tokens = 0;  // length of the continuation (fewer when it ends at eos)
  // A hypothesis that emits eos is complete and stops growing; nullopt: no token ends one.
  std::optional<int32_t> eos;
  // Tokens that may be chosen (1) or not (0); empty: all. The scores stay the model's own
  // log-probabilities, not renormalised over the allowed tokens.
  std::span<const uint8_t> allowed;
};

struct BeamHypothesis {
  std::vector<int32_t> tokens;  // the continuation, without the eos that completed it
  double log_prob = 0;          // sum of the log-probabilities of its tokens (eos included)
  bool ended_at_eos = false;
};

// Beam search over log-probabilities for the most likely continuation, starting from the state
// after a prompt and the logits [V] of the token that follows it. Each step scores every
// (hypothesis, allowed token) pair by the hypothesis' log-probability plus the token's; the best
// beam_width pairs that do not end at eos survive, each with a copy of its parent's LM state, and
// an eos pair among the best beam_width becomes a complete hypothesis. Ties go to the earlier
// hypothesis, then the lower token id, so width 1 is exactly greedy decoding. The search stops
// early once a complete hypothesis scores at least as high as every live one (scores only fall);
// the result is the best complete or full-length hypothesis, without length normalisation.
// All hypotheses advance through one batched step() per token. Error for a width outside
// 1..kMaxBeamWidth, a negative max_tokens, or a mask of the wrong size.
BeamHypothesis beam_search(LanguageModel& model, const LMState& state,
                           std::span<const float> logits, const BeamSearchOptions& options);

}  // namespace rnnkit
