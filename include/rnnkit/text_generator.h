#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <chrono>
#include <optional>

#include "rnnkit/beam_search.h"
#include "rnnkit/decode_session.h"
#include "rnnkit/language_model.h"
#include "rnnkit/sampler.h"
#include "rnnkit/vocab.h"

namespace rnnkit {

// Text generation with a language model: the one implementation behind `rnnkit generate` and the
// HTTP server. A LanguageModel holds per-call workspaces, so one instance must not serve two
// generations at once: give each thread its own copy.

// The most tokens one generation may produce; -1 ("until the end token") is bounded by it too.
constexpr int64_t kMaxGeneratedTokens = 100000;

// Receives the text as it is produced; returning false stops the generation (a client gone).
// Every piece is whole UTF-8 characters: at char level one token (one code point), at word level
// a word with the space before it.
using PieceCallback = std::function<bool(std::string_view piece)>;

// Error unless `model` can generate (LanguageModel::check_can_step) with `vocab` (of its size).
void check_generating_model(const LanguageModel& model, const Vocab& vocab);

enum class FinishReason { Length, Eos, Cancelled };
std::string_view finish_reason_name(FinishReason reason);  // "length", "eos", "cancelled"

struct GenerateRequest {
  std::string prompt;
  int64_t max_tokens = 200;  // -1: until the end token, at most kMaxGeneratedTokens
  SamplingOptions sampling;
  // 0: sample with `sampling`; W >= 1: beam search of width W for the most likely continuation
  // (the sampling options are then unused; W = 1 is greedy decoding).
  int beam_width = 0;
  // The vocabulary's eos token ends the text (and is not part of it). Otherwise eos is an
  // ordinary token, written as a newline (at word level it stands for one).
  bool stop_at_eos = true;
  // on_piece receives the prompt first, as the model sees it (GenerateResult::prompt).
  bool echo = false;
};

struct GenerateResult {
  // The prompt after normalization, as the model sees it; prompt + text is the whole document
  // (at word level the first generated word brings its space).
  std::string prompt;
  std::string text;    // the generated continuation
  int64_t tokens = 0;  // generated tokens, the end token not counted
  double seconds = 0;  // wall time of the whole call, prompt included
  FinishReason finish_reason = FinishReason::Length;
};

// The ids a generation starts from: the vocabulary's bos token when it has one (poem models are
// trained on <START> + poem), then the prompt normalized and encoded as in training. Unknown
// characters or words become unk when the vocabulary has it, else an Error names them. Error
// "empty prompt" when nothing is left and there is no bos token.
std::vector<int32_t> encode_prompt(const Vocab& vocab, std::string_view prompt);

// Feeds `ids` (at least one) to the model from `state`, leaving the state after the last id and
// the next-token logits [1, V] in `logits`. All but the last id go through read_tokens.
void prime_state(LanguageModel& model, std::span<const int32_t> ids, LMState& state,
                 Tensor& logits);
// Feeds `ids` (any number) to the model from `state` through the batched whole-sequence forward,
// in chunks that bound the memory used by a long prompt, without computing logits.
void read_tokens(LanguageModel& model, std::span<const int32_t> ids, LMState& state);

// The tokens generation may draw: all but bos and pad, which training never uses as a target.
std::vector<uint8_t> generation_mask(const Vocab& vocab);

class PieceRenderer;

// A sampling generation as a DecodeSession (DecodeBatch: several decoded together). The
// constructor checks the request (the errors of generate_text) and sends the echoed prompt.
class TextGeneration final : public DecodeSession {
 public:
  TextGeneration(const LanguageModel& model, const Vocab& vocab, const GenerateRequest& request,
                 PieceCallback on_piece = {});
  ~TextGeneration() override;

  bool done() const override { return done_; }
  std::span<const int32_t> prompt() const override { return ids_; }
  std::optional<int32_t> next(std::span<const float> logits) override;
  // Takes a whole continuation found by beam search and ends the session (cancelled when the
  // search was abandoned).
  void take(const BeamHypothesis& best);
  // What was generated so far (all of it once done()).
  const GenerateResult& result() const { return result_; }

 private:
  bool emit(int32_t id);
  void finish(FinishReason reason);

  const GenerateRequest request_;
  const PieceCallback on_piece_;
  const std::chrono::steady_clock::time_point started_;
  std::vector<int32_t> ids_;
  std::unique_ptr<PieceRenderer> renderer_;
  std::vector<uint8_t> allowed_;
  std::optional<int32_t> eos_;
  int64_t limit_ = 0;
  Rng rng_;
  GenerateResult result_;
  bool done_ = false;
};

// Generates a continuation of request.prompt, streaming it through on_piece (when set). Sampling
// stops, cancelled, when on_piece returns false; beam search, which has no piece to send before
// it ends, asks `still_wanted` (when set) between its steps instead. Errors: invalid sampling
// options, max_tokens < -1 or above kMaxGeneratedTokens, a beam width out of range, a vocabulary
// whose size differs from the model's, and the prompt errors of encode_prompt.
GenerateResult generate_text(LanguageModel& model, const Vocab& vocab,
                             const GenerateRequest& request, const PieceCallback& on_piece = {},
                             const std::function<bool()>& still_wanted = {});

}  // namespace rnnkit
