#include <string>

#include "rnnkit/beam_search.h"
#include "rnnkit/error.h"
#include "rnnkit/seq2seq.h"

namespace rnnkit {
namespace {

// One question's hypotheses: the columns of the decoder state [L, B, D*H] and of the encoder
// memory the decoder attends to.
class Seq2seqDecoder final : public BeamDecoder {
 public:
  Seq2seqDecoder(Seq2seq& model, const std::vector<int32_t>& question, int32_t bos)
      : model_(model) {
    model.encode(question, static_cast<int64_t>(question.size()), 1, state_);
    step(std::span<const int32_t>(&bos, 1));
  }

  const Tensor& logits() const override { return logits_; }
  void reorder(std::span<const int32_t> parents) override {
    state_.h = gather_columns(state_.h, parents);
    state_.c = gather_columns(state_.c, parents);
    model_.select_memory(parents);
  }
  void step(std::span<const int32_t> tokens) override {
    model_.decode_step(tokens, state_, logits_);
  }

 private:
  Seq2seq& model_;
  DecoderState state_;
  Tensor logits_;
};

}  // namespace

std::vector<int32_t> beam_decode(Seq2seq& model, const std::vector<int32_t>& question,
                                 const Seq2seqTokens& tokens, int64_t beam_width) {
  if (question.empty()) throw Error("cannot answer an empty question");
  Seq2seqDecoder decoder(model, question, tokens.bos);
  BeamSearchOptions options;
  options.beam_width = beam_width;
  options.max_tokens = model.config().max_answer_length;
  if (tokens.eos >= 0) options.eos = tokens.eos;
  return beam_search(decoder, options).tokens;
}

}  // namespace rnnkit
