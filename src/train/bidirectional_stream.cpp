#include "train/bidirectional_stream.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "rnnkit/cell_kind.h"
#include "train/token_losses.h"

namespace rnnkit {
namespace {

// The state of one direction of one layer at a chunk boundary: h [1,H], c [1,H] (LSTM only);
// empty tensors are zeros.
struct BoundaryState {
  Tensor h, c;
};

const float* data_or_null(const Tensor& t) {
  return t.empty() ? nullptr : t.data();
}

// The stream's inputs cut into chunks, with the boundary states of every layer and direction.
class CheckpointedStack {
 public:
  CheckpointedStack(LanguageModel& model, std::span<const int32_t> inputs, int64_t chunk)
      : model_(model),
        rnn_(model.rnn()),
        inputs_(inputs),
        chunk_(chunk),
        chunks_((static_cast<int64_t>(inputs.size()) + chunk - 1) / chunk),
        layers_(rnn_.options().num_layers),
        state_(rnn_.state_size()),
        cell_(rnn_.options().hidden_size),
        lstm_(has_cell_state(rnn_.options().cell)),
        starts_(layers_, std::vector<BoundaryState>(chunks_)),
        ends_(layers_, std::vector<BoundaryState>(chunks_)) {}

  int64_t chunks() const { return chunks_; }
  int64_t chunk_start(int64_t c) const { return c * chunk_; }
  int64_t chunk_size(int64_t c) const {
    return std::min(chunk_, static_cast<int64_t>(inputs_.size()) - c * chunk_);
  }

  // Runs one direction of `layer` over the whole stream from a zero state (forward: chunks in
  // order; reverse: from the last), recording the state each chunk starts from: the forward
  // state at the chunk's first token, the reverse state after its last.
  void record_boundaries(int64_t layer, int direction) {
    std::vector<BoundaryState>& record = direction ? ends_[layer] : starts_[layer];
    BoundaryState state;
    for (int64_t i = 0; i < chunks_; ++i) {
      const int64_t c = direction ? chunks_ - 1 - i : i;
      record[c] = state;
      std::vector<BoundaryState> forward;
      for (int64_t j = 0; j < layer; ++j) forward.push_back(starts_[j][c]);
      const Tensor& x = layer_input(c, layer, forward);
      scratch_.resize({chunk_size(c), state_});
      run(layer, direction, x, chunk_size(c), state, scratch_.data(), state_);
    }
  }

  // Input rows of layer `depth` for chunk c: the embedded tokens, then layers [0, depth) in both
  // directions. forward[j] is the forward state of layer j at the chunk start and becomes the
  // state at its end; the reverse directions start from the recorded boundaries.
  const Tensor& layer_input(int64_t c, int64_t depth, std::vector<BoundaryState>& forward) {
    const int64_t n = chunk_size(c);
    embed_tokens(model_, inputs_.subspan(chunk_start(c), n), input_);
    for (int64_t j = 0; j < depth; ++j) {
      output_.resize({n, 2 * state_});
      run(j, 0, input_, n, forward[j], output_.data(), 2 * state_);
      BoundaryState reverse = ends_[j][c];
      run(j, 1, input_, n, reverse, output_.data() + state_, 2 * state_);
      std::swap(input_, output_);
    }
    return input_;
  }

 private:
  // One direction of one layer over n rows of x from `state`, which becomes the final state.
  void run(int64_t layer, int direction, const Tensor& x, int64_t n, BoundaryState& state, float* y,
           int64_t ldy) {
    // h is the layer's state width (the projection's, with proj_size), c the cell's.
    BoundaryState next{Tensor({1, state_}), lstm_ ? Tensor({1, cell_}) : Tensor()};
    rnn_.layer(layer, direction)
        .forward(x.data(), x.dim(1), n, 1, data_or_null(state.h), data_or_null(state.c), y, ldy,
                 next.h.data(), lstm_ ? next.c.data() : nullptr);
    state = std::move(next);
  }

  LanguageModel& model_;
  RNN& rnn_;
  std::span<const int32_t> inputs_;
  int64_t chunk_, chunks_, layers_, state_, cell_;
  bool lstm_;
  std::vector<std::vector<BoundaryState>> starts_;  // [layer][chunk] forward state at its start
  std::vector<std::vector<BoundaryState>> ends_;    // [layer][chunk] reverse state at its end
  Tensor input_, output_, scratch_;
};

}  // namespace

LossResult bidirectional_stream_loss(LanguageModel& model, std::span<const int32_t> ids,
                                     int64_t chunk) {
  CheckpointedStack stack(model, ids.first(ids.size() - 1), chunk);
  const int64_t layers = model.rnn().options().num_layers;
  // The reverse sweep of layer k reads the forward boundaries of the layers below it; the final
  // pass carries the forward states itself.
  for (int64_t k = 0; k < layers; ++k) {
    stack.record_boundaries(k, 1);
    if (k + 1 < layers) stack.record_boundaries(k, 0);
  }
  std::vector<BoundaryState> forward(layers);
  LossResult total;
  for (int64_t c = 0; c < stack.chunks(); ++c) {
    const int64_t start = stack.chunk_start(c), n = stack.chunk_size(c);
    const Tensor& y = stack.layer_input(c, layers, forward);
    LossResult r = token_losses(model, y.data(), n, ids.data() + start + 1, start + 1);
    total.loss_sum += r.loss_sum;
    total.count += r.count;
  }
  return total;
}

}  // namespace rnnkit
