#pragma once
#include <cstdint>
#include <string>

#include "rnnkit/cell_kind.h"
#include "rnnkit/gemm.h"
#include "rnnkit/parameter.h"
#include "rnnkit/precision.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// One layer, one direction of a torch.nn.RNN/LSTM/GRU over a whole sequence, time-major, for
// any registered cell (src/nn/cell_type.h). With proj_size P > 0 (LSTM, as torch.nn.LSTM's
// proj_size) the cell's output h_cell [B,H] is projected to h = h_cell W_hr^T [B,P]: h is the
// output and the recurrent input (W_hh is [G*H, P]); S below is the width of h (P, else H).
//
// forward: the input projection of all T steps is one GEMM (from one-hot token ids: a gather of
// W_ih's columns, exactly the product's result); each step then adds the recurrent product
// h W_hh^T and runs the fused cell kernel. The layer keeps what backward needs:
//   gates_        [T,B,G*H]  activated gates, indexed by time
//   hidden_       [T+1,B,S]  states indexed by time: forward h(t) at t+1 with h0 at 0; reverse
//                            direction h(t) at t with h0 at T (so the states that precede each
//                            step are one contiguous block in both directions)
//   cell_state_   [T+1,B,H]  the same for the LSTM cell state
//   cell_output_  [T,B,H]    h_cell of each step, with a projection
// A forward-only pass keeps two slots of states, one step of cell outputs, and one step of gates
// with token ids (a dense input's product still fills all T steps of gates_).
// backward: walks the steps in reverse, turning gates_ into pre-activation gradients in place,
// then computes dW_ih, dW_hh (and dW_hr) and dx with one GEMM each (dW_ih after a one-hot
// forward: a scatter-add of the gate gradients into W_ih's columns). backward consumes the
// forward cache.
class RecurrentLayer {
 public:
  // Parameters are named `<prefix>.weight_ih_l<k><suffix>` etc. as in PyTorch's state_dict.
  RecurrentLayer(CellKind cell, int64_t input_size, int64_t hidden_size, bool reverse,
                 const std::string& prefix, const std::string& suffix, int64_t proj_size = 0);

  CellKind cell() const { return cell_; }
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  int64_t proj_size() const { return proj_size_; }
  int64_t state_size() const { return proj_size_ ? proj_size_ : hidden_size_; }  // S
  bool reverse() const { return reverse_; }
  ParameterList parameters();
  // Its batch-1 products read int8 copies of the weights (a quantized model; SingleRowProduct).
  void read_int8_weights();

  // x: T*B rows of input_size floats with row stride ldx. h0: [B,S], c0: [B,H], or null for
  // zeros. Writes the outputs to y (row stride ldy, S floats per row) and the final states to
  // hT [B,S] / cT [B,H] (cT only for a cell state; either may be null). forward_only: no backward
  // follows (an Error after it), so the steps keep only the states the next step reads (two
  // slots of each) instead of every step's: written in the cache rather than streamed to memory.
  void forward(const float* x, int64_t ldx, int64_t T, int64_t B, const float* h0, const float* c0,
               float* y, int64_t ldy, float* hT, float* cT, bool forward_only = false);
  // The same for the one-hot input of T*B token ids (each in [0, input_size), else an Error):
  // outputs and states bit for bit those of forward() on the one-hot rows, without their
  // product. ids are kept by pointer, as forward() keeps x: the caller keeps them alive until
  // backward, which then cannot produce dx (an Error).
  void forward_one_hot(const int32_t* ids, int64_t T, int64_t B, const float* h0, const float* c0,
                       float* y, int64_t ldy, float* hT, float* cT);
  // The same for token ids (each in [0, V), else an Error) whose input rows are rows of
  // `embedding` [V, input_size], for a forward pass that no backward follows (forward_only:
  // an Error after it): each class's gate input, its embedding row times W_ih^T plus the biases, is
  // computed once into a table, kept while the weights' epoch (weights_epoch()), the embedding's
  // address and the matmul precision stay the same, and a step reads its gates' input part from
  // there as forward_one_hot() does. The table's products sum in another order than forward()'s, so
  // the two agree to float rounding, not bit for bit. Used where the table is at most
  // kMaxEmbeddedTableFloats (embedded_table_suits).
  void forward_embedded(const float* embedding, int64_t V, const int32_t* ids, int64_t T, int64_t B,
                        const float* h0, const float* c0, float* y, int64_t ldy, float* hT,
                        float* cT);
  static constexpr int64_t kMaxEmbeddedTableFloats = int64_t{1} << 25;  // 128 MB
  bool embedded_table_suits(int64_t V) const;

  // dy: output gradient (row stride ldy); dhT/dcT: gradient of the final states or null.
  // Accumulates parameter gradients; dx (row stride ldx) is overwritten, or accumulated into
  // when accumulate_dx (both directions of a bidirectional stack read the same input).
  // dh0 [B,S] / dc0 [B,H] receive the initial-state gradients when not null.
  void backward(const float* dy, int64_t ldy, const float* dhT, const float* dcT, float* dx,
                int64_t ldx, bool accumulate_dx, float* dh0, float* dc0);

  Parameter weight_ih, weight_hh, bias_ih, bias_hh;
  Parameter weight_hr;  // [P,H], only with a projection

 private:
  int64_t time_of_step(int64_t s) const { return reverse_ ? steps_ - 1 - s : s; }
  // Row offsets into hidden_/cell_ of the state before and after the step at time t (one of two
  // slots in turn when forward_only_).
  int64_t slot(int64_t state) const { return forward_only_ ? state % 2 : state; }
  int64_t prev_slot(int64_t t) const { return slot(reverse_ ? t + 1 : t); }
  int64_t next_slot(int64_t t) const { return slot(reverse_ ? t : t + 1); }
  // The row block of a step's own tensors (aux_, cell_output_; gates_ with token ids, whose
  // input parts are read from their table): one block reused by every step when forward_only_.
  int64_t kept_step(int64_t t) const { return forward_only_ ? 0 : t; }

  // The forward pass of both inputs: x (ldx apart) or, when x is null, token ids whose gate
  // input parts are rows of columns [classes, G*H].
  void forward_sequence(const float* x, int64_t ldx, const int32_t* ids, const float* columns,
                        int64_t T, int64_t B, const float* h0, const float* c0, float* y,
                        int64_t ldy, float* hT, float* cT, bool forward_only);
  // The bias added with bias_ih to the input product: bias_hh, unless the cell adds it to its
  // separate hidden product.
  const float* input_bias_hh();
  // ih_columns_ = W_ih's columns plus bias_ih (and bias_hh when not null), one row per input
  // class: the time step reads a token's row as its gates' input part, which is what the product
  // and add_bias of the dense path give a one-hot row. dW_ih += the gate gradients scattered to
  // those columns.
  void prepare_input_columns();
  void prepare_embedded_table(const float* embedding, int64_t V);
  void scatter_weight_ih_grad();
  // The time loops over the n batch rows from b0: rows never interact through the recurrence,
  // so slices of the batch run on different threads without meeting at every step.
  // zero_start: the sequence starts from h0 = 0, so its first step's h_prev W_hh^T is zero.
  void forward_rows(int64_t b0, int64_t n, float* y, int64_t ldy, bool zero_start);
  // keeps_dh0: the last step's product (the gradient of h0 alone) is wanted.
  void backward_rows(int64_t b0, int64_t n, const float* dy, int64_t ldy, bool keeps_dh0);
  // out = n rows of h W_hh^T (+ beta * out, or + beta * c_rows[i] for row i when c_rows is not
  // null); dh = n rows of dgates W_hh (+ beta * dh).
  void hidden_product(int64_t n, const float* h, float beta, float* out,
                      const float* const* c_rows = nullptr);
  void hidden_grad_product(int64_t n, const float* dgates, float beta, float* dh);
  // h = n rows of h_cell W_hr^T.
  void projection_product(int64_t n, const float* h_cell, float* h);

  CellKind cell_;
  int64_t input_size_, hidden_size_, proj_size_;
  bool reverse_;

  const float* input_ = nullptr;
  const int32_t* ids_ = nullptr;  // the token ids instead of input_
  // With ids_: each class's gate input part, a row (of embedded_table_ after forward_embedded,
  // which no backward may follow).
  const float* input_columns_ = nullptr;
  int64_t ldx_ = 0, steps_ = 0, batch_ = 0;
  bool forward_only_ = false;  // the last forward pass kept only what its next step read
  bool packed_ = false;  // the per-step products read W_hh prepacked (sequences, not single steps)
  // Generation steps (one row, or one step of a few rows) go through the SingleRowProducts, whose
  // rows come out the same whatever the batch.
  bool row_products_ = false;
  PackedMatrix hh_forward_,
      hh_backward_;  // W_hh^T for the forward steps, W_hh for the backward ones
  SingleRowProduct ih_row_, hh_row_, hr_row_;  // row_products_: rows times W_ih, W_hh, W_hr
  Tensor gates_, hidden_, cell_state_, cell_output_, aux_, hproj_, dh_carry_, dc_carry_, dhproj_;
  Tensor ih_columns_;  // [V,G*H] one-hot input: W_ih^T plus biases in forward, dW_ih^T in backward
  Tensor embedded_table_;        // [V,G*H] forward_embedded's, made from
  WeightsStamp embedded_stamp_;  // this embedding (and W_ih, the biases: their epoch)
  Tensor dproj_;                 // [T,B,P] gradient of each step's projected h, for dW_hr
  Tensor dcell_out_;             // [B,H] gradient of h_cell at the current step
  Tensor no_dh_next_;            // [B,H] zeros: with a projection dy already holds all of dh_cell
};

}  // namespace rnnkit
