#pragma once
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "rnnkit/batch_shard.h"
#include "rnnkit/cell_kind.h"
#include "rnnkit/error.h"
#include "rnnkit/parameter.h"
#include "rnnkit/recurrent_layer.h"
#include "rnnkit/rng.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// The most layers a stack may have (num_layers).
inline constexpr int64_t kMaxLayers = 1024;

struct RNNOptions {
  CellKind cell = CellKind::Lstm;
  int64_t input_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bidirectional = false;
  float dropout = 0.0f;   // between layers, in training only, as torch.nn.LSTM(dropout=...)
  int64_t proj_size = 0;  // h projected to P units (torch.nn.LSTM(proj_size=P)); 0 = none
};

// A stack of recurrent layers, each uni- or bidirectional: torch.nn.RNN / LSTM / GRU.
// Tensors are time-major [T,B,F]; states are [num_layers * directions, B, S] like PyTorch,
// S = proj_size or else hidden_size (the LSTM cell state is always H wide).
class RNN {
 public:
  explicit RNN(RNNOptions options, const std::string& prefix = "rnn");

  const RNNOptions& options() const { return options_; }
  int64_t directions() const { return options_.bidirectional ? 2 : 1; }
  int64_t state_size() const {
    return options_.proj_size ? options_.proj_size : options_.hidden_size;
  }
  int64_t output_size() const { return directions() * state_size(); }
  Shape state_shape(int64_t batch) const;       // h: [L*D, B, S]
  Shape cell_state_shape(int64_t batch) const;  // c: [L*D, B, H]
  ParameterList parameters();
  RecurrentLayer& layer(int64_t layer, int64_t direction) {
    return *layers_[layer * directions() + direction];
  }
  // The cell's init rule; torch's default: every parameter uniform in (-1/sqrt(H), 1/sqrt(H)).
  void reset_parameters(Rng& rng);

  // x: [T,B,input_size], kept by reference until backward. h0/c0: initial states or null for
  // zeros (c0 only for LSTM: an Error for another cell). y: [T,B,D*S]; hN/cN receive the final
  // states when not null. rng draws the dropout masks (needed only when training with dropout > 0):
  // those of the global batch of set_batch_shard(), keeping this batch's columns.
  void forward(const Tensor& x, const Tensor* h0, const Tensor* c0, Tensor& y, Tensor* hN,
               Tensor* cN, bool training, Rng* rng);
  // The same for one-hot input: T*B token ids in [0, input_size) (else an Error), time-major,
  // kept by reference until backward. The first layer gathers its input weights' columns
  // (RecurrentLayer::forward_one_hot): bit for bit forward() on the one-hot tensor. backward
  // then has no dx to give (an Error if asked).
  void forward_one_hot(std::span<const int32_t> ids, int64_t T, int64_t B, const Tensor* h0,
                       const Tensor* c0, Tensor& y, Tensor* hN, Tensor* cN, bool training,
                       Rng* rng);
  // The same for token ids whose first layer's input rows are rows of `embedding` [V,
  // input_size] (an Embedding's weight), for a forward pass that no backward follows: the first
  // layer reads each class's gate input from a table it keeps (RecurrentLayer::forward_embedded),
  // so results agree with forward() on the embedded rows to float rounding, and every layer runs
  // forward-only (keeping only the states its next step reads). Where the tables would be too
  // large (embedded_input_suits), forward() is the way.
  void forward_embedded(std::span<const int32_t> ids, const Tensor& embedding, int64_t T, int64_t B,
                        const Tensor* h0, const Tensor* c0, Tensor& y, Tensor* hN, Tensor* cN);
  bool embedded_input_suits(int64_t vocab) const;
  // dy: [T,B,D*S]; dhN/dcN: gradients of the final states or null (dcN an LSTM's only). Accumulates
  // parameter gradients; dx/dh0/dc0 receive input and initial-state gradients when not null.
  // layer_done(params) follows each layer's backward, whose parameters' gradients are then
  // final (data-parallel training sends them while the layers below run).
  void backward(const Tensor& dy, const Tensor* dhN, const Tensor* dcN, Tensor* dx, Tensor* dh0,
                Tensor* dc0, const std::function<void(const ParameterList&)>& layer_done = {});
  // The next forward passes' place in a global batch (dropout masks), until set again.
  void set_batch_shard(const BatchShard& shard) { shard_ = shard; }

 private:
  // The layer loop of both inputs: x [T,B,input_size] or, when x is null, one-hot ids.
  // embedding: with ids, the first layer's input rows are its rows (forward_embedded).
  void forward_stack(const float* x, const int32_t* ids, const Tensor* embedding, int64_t T,
                     int64_t B, const Tensor* h0, const Tensor* c0, Tensor& y, Tensor* hN,
                     Tensor* cN, bool training, Rng* rng);
  void check_state(const Tensor* state, const char* name, const Shape& expected) const;
  void check_usable() const;
  Error no_cell_state_error(const char* name) const;
  // An Error unless there are T*B ids for T >= 1 steps of B >= 1 sequences; kind names them.
  static void check_id_count(size_t count, int64_t T, int64_t B, const char* kind);
  // mask [T,B,W]: keep-probability draws scaled by 1/keep, for this shard's columns.
  void draw_dropout_mask(Rng& rng, Tensor& mask, int64_t T, int64_t B, int64_t W) const;

  RNNOptions options_;
  std::vector<std::unique_ptr<RecurrentLayer>> layers_;  // index layer * directions + direction
  std::vector<Tensor> outputs_;                          // outputs of all but the last layer
  std::vector<Tensor> masks_;                            // dropout masks (scaled) per layer > 0
  std::vector<Tensor> dropped_;                          // masked inputs of layers > 0
  bool dropout_applied_ = false;
  bool one_hot_input_ = false;  // the last forward read token ids
  bool forward_only_ = false;   // the last forward was forward_embedded
  BatchShard shard_;
  int64_t steps_ = 0, batch_ = 0;
  Tensor grad_a_, grad_b_;
};

// Swaps the first two dimensions: batch_first [B,T,F] <-> time-major [T,B,F].
Tensor transpose_batch_time(const Tensor& x);

}  // namespace rnnkit
