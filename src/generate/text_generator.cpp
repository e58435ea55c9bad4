#include "rnnkit/text_generator.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/script_converter.h"
#include "rnnkit/text_corpus.h"
#include "rnnkit/token_batch.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

// Prompt steps per batched forward: bounds the activations a forward keeps for its backward.
constexpr int64_t kPrimeChunk = 1024;

}  // namespace

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

namespace {

void check_request(const LanguageModel& model, const Vocab& vocab, const GenerateRequest& request) {
  validate(request.sampling);
  if (request.max_tokens < -1 || request.max_tokens > kMaxGeneratedTokens)
    throw Error("the number of tokens to generate must be -1 (until the end token) or 0.." +
                std::to_string(kMaxGeneratedTokens) + ", got " +
                std::to_string(request.max_tokens));
  if (request.beam_width < 0 || request.beam_width > kMaxBeamWidth)
    throw Error("the beam width must be 1.." + std::to_string(kMaxBeamWidth) +
                " (0: sample instead), got " + std::to_string(request.beam_width));
  const SamplingOptions sampling;
  if (request.beam_width > 0 &&
      (request.sampling.temperature != sampling.temperature ||
       request.sampling.top_k != sampling.top_k || request.sampling.top_p != sampling.top_p ||
       request.sampling.seed != sampling.seed))
    throw Error(
        "beam search finds the most likely continuation and draws nothing: the "
        "temperature, top-k, top-p and seed of sampling would do nothing beside it");
  check_generating_model(model, vocab);
}

}  // namespace

void check_generating_model(const LanguageModel& model, const Vocab& vocab) {
  model.check_can_step();
  if (vocab.size() != model.config().vocab_size)
    throw Error("the vocabulary has " + std::to_string(vocab.size()) +
                " tokens but the model predicts " + std::to_string(model.config().vocab_size));
}

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
  // Line ends as a text file's are read (CRLF as LF), however the prompt came: an argument, a
  // file, a Python string or a request's body.
  const std::string read = text_as_read(std::string(prompt));
  // A char-level model of one Chinese script reads a prompt in the other as its own.
  const std::vector<int32_t> text =
      vocab.normalization().script.empty() || vocab.level() != TokenLevel::Char
          ? vocab.encode(read)
          : vocab.encode(
                utf8::encode(in_vocabulary_script(utf8::decode(read, "the prompt"), vocab)));
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
  read_tokens(model, ids.first(ids.size() - 1), state);
  model.step(ids.last(1), state, logits);
}

void read_tokens(LanguageModel& model, std::span<const int32_t> ids, LMState& state) {
  TokenBatch batch;
  batch.batch = 1;
  for (size_t begin = 0; begin < ids.size(); begin += kPrimeChunk) {
    const size_t n = std::min<size_t>(kPrimeChunk, ids.size() - begin);
    batch.steps = static_cast<int64_t>(n);
    batch.inputs.assign(ids.begin() + begin, ids.begin() + begin + n);
    batch.targets.assign(n, kIgnoreIndex);
    model.forward_backward(batch, state, /*training=*/false, /*backward=*/false, nullptr);
  }
}

std::vector<uint8_t> generation_mask(const Vocab& vocab) {
  std::vector<uint8_t> allowed(static_cast<size_t>(vocab.size()), 1);
  for (const auto& id : {vocab.bos_id(), vocab.pad_id()}) {
    if (id) allowed[static_cast<size_t>(*id)] = 0;
  }
  return allowed;
}

TextGeneration::TextGeneration(const LanguageModel& model, const Vocab& vocab,
                               const GenerateRequest& request, PieceCallback on_piece)
    : request_(request),
      on_piece_(std::move(on_piece)),
      started_(std::chrono::steady_clock::now()),
      rng_(request.sampling.seed) {
  check_request(model, vocab, request);
  ids_ = encode_prompt(vocab, request.prompt);
  renderer_ = std::make_unique<PieceRenderer>(vocab);
  for (size_t i = vocab.bos_id() ? 1 : 0; i < ids_.size(); ++i)
    result_.prompt += renderer_->piece(ids_[i]);
  allowed_ = generation_mask(vocab);
  eos_ = request.stop_at_eos ? vocab.eos_id() : std::nullopt;
  limit_ = request.max_tokens < 0 ? kMaxGeneratedTokens : request.max_tokens;
  if (request.echo && !result_.prompt.empty() && on_piece_ && !on_piece_(result_.prompt))
    finish(FinishReason::Cancelled);
  else if (limit_ == 0)
    finish(FinishReason::Length);
}

TextGeneration::~TextGeneration() = default;

std::optional<int32_t> TextGeneration::next(std::span<const float> logits) {
  if (done_) return std::nullopt;
  const int32_t id = sample_token(logits, request_.sampling, rng_, allowed_);
  if (id == eos_) {
    finish(FinishReason::Eos);
  } else if (!emit(id)) {
    finish(FinishReason::Cancelled);
  } else if (result_.tokens >= limit_) {
    finish(FinishReason::Length);
  }
  return done_ ? std::nullopt : std::optional<int32_t>(id);
}

void TextGeneration::take(const BeamHypothesis& best) {
  if (best.abandoned) return finish(FinishReason::Cancelled);
  for (int32_t id : best.tokens) {
    if (!emit(id)) return finish(FinishReason::Cancelled);
  }
  finish(best.ended_at_eos ? FinishReason::Eos : FinishReason::Length);
}

bool TextGeneration::emit(int32_t id) {
  const std::string piece = renderer_->piece(id);
  result_.text += piece;
  ++result_.tokens;
  return !on_piece_ || on_piece_(piece);
}

void TextGeneration::finish(FinishReason reason) {
  done_ = true;
  result_.finish_reason = reason;
  result_.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

GenerateResult generate_text(LanguageModel& model, const Vocab& vocab,
                             const GenerateRequest& request, const PieceCallback& on_piece,
                             const std::function<bool()>& still_wanted) {
  TextGeneration session(model, vocab, request, on_piece);
  if (request.beam_width == 0 || session.done()) {
    decode(model, session);
    return session.result();
  }
  // Beam search keeps its hypotheses in a batch of its own, so it runs unbatched.
  LMState state;
  Tensor logits;
  prime_state(model, session.prompt(), state, logits);
  const std::vector<uint8_t> allowed = generation_mask(vocab);
  session.take(beam_search(
      model, state, logits.span(),
      {request.beam_width, request.max_tokens < 0 ? kMaxGeneratedTokens : request.max_tokens,
       request.stop_at_eos ? vocab.eos_id() : std::nullopt, std::span<const uint8_t>(allowed)},
      still_wanted));
  return session.result();
}

}  // namespace rnnkit
