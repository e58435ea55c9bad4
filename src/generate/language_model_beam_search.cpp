#include <string>

#include "rnnkit/beam_search.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// A language model's hypotheses: the rows of its recurrent state [layers * directions, B, H].
class LanguageModelDecoder final : public BeamDecoder {
 public:
  LanguageModelDecoder(LanguageModel& model, const LMState& state, std::span<const float> logits)
      : model_(model), state_(state) {
    const int64_t V = model.config().vocab_size;
    if (static_cast<int64_t>(logits.size()) != V)
      throw Error("beam search got " + std::to_string(logits.size()) +
                  " logits for a vocabulary of " + std::to_string(V));
    logits_ = Tensor::from({1, V}, logits);
  }

  const Tensor& logits() const override { return logits_; }
  void reorder(std::span<const int32_t> parents) override {
    state_.h = gather_columns(state_.h, parents);
    state_.c = gather_columns(state_.c, parents);
  }
  void step(std::span<const int32_t> tokens) override { model_.step(tokens, state_, logits_); }

 private:
  LanguageModel& model_;
  LMState state_;
  Tensor logits_;
};

}  // namespace

BeamHypothesis beam_search(LanguageModel& model, const LMState& state,
                           std::span<const float> logits, const BeamSearchOptions& options,
                           const std::function<bool()>& wanted) {
  LanguageModelDecoder decoder(model, state, logits);
  return beam_search(decoder, options, wanted);
}

}  // namespace rnnkit
