#include "rnnkit/text_generator.h"

#include <algorithm>
#include <chrono>
#include <optional>

#include "rnnkit/beam_search.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/token_batch.h"

namespace rnnkit {
namespace {

// Prompt steps per batched forward: bounds the activations a forward keeps for its backward.
constexpr int64_t kPrimeChunk = 1024;

// Turns token ids into the pieces of the output text: at word level a word is preceded by a
// space unless it starts the text or a line; eos (when it does not stop the text) is a newline.
class PieceRenderer {
 public:
  explicit PieceRenderer(const Vocab& vocab) : vocab_(vocab) {}

  std::string piece(int32_t id) {
    if (id == vocab_.eos_id()) {
      line_start_ = true;
      return "\n";
    }
    std::string piece;
    if (vocab_.level() == TokenLevel::Word && !line_start_) piece.push_back(' ');
    piece += vocab_.token(id);
    line_start_ = false;
    return piece;
  }

 private:
  const Vocab& vocab_;
  bool line_start_ = true;
};

void check_request(const LanguageModel& model, const Vocab& vocab, const GenerateRequest& request) {
  validate(request.sampling);
  if (request.max_tokens < -1 || request.max_tokens > kMaxGeneratedTokens)
    throw Error("the number of tokens to generate must be -1 (until the end token) or 0.." +
                std::to_string(kMaxGeneratedTokens) + ", got " +
                std::to_string(request.max_tokens));
  if (request.beam_width < 0 || request.beam_width > kMaxBeamWidth)
    throw Error("the beam width must be 1.." + std::to_string(kMaxBeamWidth) +
                " (0: sample instead), got " + std::to_string(request.beam_width));
  if (vocab.size() != model.config().vocab_size)
    throw Error("the vocabulary has " + std::to_string(vocab.size()) +
                " tokens but the model predicts " + std::to_string(model.config().vocab_size));
}

}  // namespace

std::string_view finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::Length:
      return "length";
    case FinishReason::Eos:
      return "eos";
    case FinishReason::Cancelled:
      return "cancelled";
  }
  return "unknown";
}

std::vector<int32_t> encode_prompt(const Vocab& vocab, std::string_view prompt) {
  std::vector<int32_t> ids;
  if (const auto bos = vocab.bos_id()) ids.push_back(*bos);
  const std::vector<int32_t> text = vocab.encode(prompt);
  ids.insert(ids.end(), text.begin(), text.end());
  if (ids.empty())
    throw Error(prompt.empty() ? "empty prompt: give some text to continue"
                               : "empty prompt: nothing is left of it after the vocabulary's "
                                 "normalization");
  return ids;
}

void prime_state(LanguageModel& model, std::span<const int32_t> ids, LMState& state,
                 Tensor& logits) {
  if (ids.empty()) throw Error("cannot prime a language model with no tokens");
  const std::span<const int32_t> head = ids.first(ids.size() - 1);
  TokenBatch batch;
  batch.batch = 1;
  for (size_t begin = 0; begin < head.size(); begin += kPrimeChunk) {
    const size_t n = std::min<size_t>(kPrimeChunk, head.size() - begin);
    batch.steps = static_cast<int64_t>(n);
    batch.inputs.assign(head.begin() + begin, head.begin() + begin + n);
    batch.targets.assign(n, kIgnoreIndex);
    model.forward_backward(batch, state, /*training=*/false, /*backward=*/false, nullptr);
  }
  model.step(ids.last(1), state, logits);
}

std::vector<uint8_t> generation_mask(const Vocab& vocab) {
  std::vector<uint8_t> allowed(static_cast<size_t>(vocab.size()), 1);
  for (const auto& id : {vocab.bos_id(), vocab.pad_id()}) {
    if (id) allowed[static_cast<size_t>(*id)] = 0;
  }
  return allowed;
}

GenerateResult generate_text(LanguageModel& model, const Vocab& vocab,
                             const GenerateRequest& request, const PieceCallback& on_piece) {
  const auto started = std::chrono::steady_clock::now();
  check_request(model, vocab, request);
  const std::vector<int32_t> ids = encode_prompt(vocab, request.prompt);

  GenerateResult result;
  PieceRenderer renderer(vocab);
  for (size_t i = vocab.bos_id() ? 1 : 0; i < ids.size(); ++i)
    result.prompt += renderer.piece(ids[i]);
  auto finish = [&](FinishReason reason) {
    result.finish_reason = reason;
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return result;
  };
  if (request.echo && !result.prompt.empty() && on_piece && !on_piece(result.prompt))
    return finish(FinishReason::Cancelled);
  // Appends a generated token; false when the listener wants no more.
  auto emit = [&](int32_t id) {
    const std::string piece = renderer.piece(id);
    result.text += piece;
    ++result.tokens;
    return !on_piece || on_piece(piece);
  };

  const int64_t limit = request.max_tokens < 0 ? kMaxGeneratedTokens : request.max_tokens;
  if (limit == 0) return finish(FinishReason::Length);
  LMState state;
  Tensor logits;
  prime_state(model, ids, state, logits);
  const std::vector<uint8_t> allowed = generation_mask(vocab);
  const std::optional<int32_t> eos = request.stop_at_eos ? vocab.eos_id() : std::nullopt;

  if (request.beam_width > 0) {
    const BeamHypothesis best =
        beam_search(model, state, logits.span(),
                    {request.beam_width, limit, eos, std::span<const uint8_t>(allowed)});
    for (int32_t id : best.tokens) {
      if (!emit(id)) return finish(FinishReason::Cancelled);
    }
    return finish(best.ended_at_eos ? FinishReason::Eos : FinishReason::Length);
  }

  Rng rng(request.sampling.seed);
  for (int64_t n = 0; n < limit; ++n) {
    const int32_t id = sample_token(logits.span(), request.sampling, rng, allowed);
    if (id == eos) return finish(FinishReason::Eos);
    if (!emit(id)) return finish(FinishReason::Cancelled);
    if (n + 1 < limit) model.step(std::span<const int32_t>(&id, 1), state, logits);
  }
  return finish(FinishReason::Length);
}

}  // namespace rnnkit
