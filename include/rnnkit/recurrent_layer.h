#pragma once
#include <cstdint>
#include <string>

#include "rnnkit/cell_kind.h"
#include "rnnkit/gemm.h"
#include "rnnkit/parameter.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// One layer, one direction of a torch.nn.RNN/LSTM/GRU over a whole sequence, time-major.
//
// forward: the input projection of all T steps is one GEMM; each step then adds the recurrent
// product h W_hh^T and runs the fused cell kernel. The layer keeps what backward needs:
//   gates_   [T,B,G*H]  activated gates, indexed by time
//   hidden_  [T+1,B,H]  states indexed by time: forward h(t) at t+1 with h0 at 0; reverse
//                       direction h(t) at t with h0 at T (so the states that precede each
//                       step are one contiguous block in both directions)
//   cell_    [T+1,B,H]  the same for the LSTM cell state
// backward: walks the steps in reverse, turning gates_ into pre-activation gradients in place,
// then computes dW_ih, dW_hh and dx with one GEMM each. backward consumes the forward cache.
class RecurrentLayer {
 public:
  // Parameters are named `<prefix>.weight_ih_l<k><suffix>` etc. as in PyTorch's state_dict.
  RecurrentLayer(CellKind cell, int64_t input_size, int64_t hidden_size, bool reverse,
                 const std::string& prefix, const std::string& suffix);

  CellKind cell() const { return cell_; }
  int64_t input_size() const { return input_size_; }
  int64_t hidden_size() const { return hidden_size_; }
  bool reverse() const { return reverse_; }
  ParameterList parameters();

  // x: T*B rows of input_size floats with row stride ldx. h0/c0: [B,H] or null for zeros.
  // Writes the outputs to y (row stride ldy, H floats per row) and the final states to hT/cT
  // ([B,H], cT only for LSTM; either may be null).
  void forward(const float* x, int64_t ldx, int64_t T, int64_t B, const float* h0, const float* c0,
               float* y, int64_t ldy, float* hT, float* cT);

  // dy: output gradient (row stride ldy); dhT/dcT: gradient of the final states or null.
  // Accumulates parameter gradients; dx (row stride ldx) is overwritten, or accumulated into
  // when accumulate_dx (both directions of a bidirectional stack read the same input).
  // dh0/dc0 ([B,H]) receive the initial-state gradients when not null.
  void backward(const float* dy, int64_t ldy, const float* dhT, const float* dcT, float* dx,
                int64_t ldx, bool accumulate_dx, float* dh0, float* dc0);

  Parameter weight_ih, weight_hh, bias_ih, bias_hh;

 private:
  int64_t time_of_step(int64_t s) const { return reverse_ ? steps_ - 1 - s : s; }
  // Row offsets into hidden_/cell_ of the state before and after the step at time t.
  int64_t prev_slot(int64_t t) const { return reverse_ ? t + 1 : t; }
  int64_t next_slot(int64_t t) const { return reverse_ ? t : t + 1; }

  // The time loops over the n batch rows from b0: rows never interact through the recurrence,
  // so slices of the batch run on different threads without meeting at every step.
  void forward_rows(int64_t b0, int64_t n, float* y, int64_t ldy);
  void backward_rows(int64_t b0, int64_t n, const float* dy, int64_t ldy);
  // out = n rows of h W_hh^T (+ beta * out); dh = n rows of dgates W_hh (+ beta * dh).
  void hidden_product(int64_t n, const float* h, float beta, float* out);
  void hidden_grad_product(int64_t n, const float* dgates, float beta, float* dh);

  CellKind cell_;
  int64_t input_size_, hidden_size_;
  bool reverse_;

  const float* input_ = nullptr;
  int64_t ldx_ = 0, steps_ = 0, batch_ = 0;
  bool packed_ = false;  // the per-step products read W_hh prepacked (sequences, not single steps)
  PackedMatrix hh_forward_,
      hh_backward_;                   // W_hh^T for the forward steps, W_hh for the backward ones
  SingleRowProduct ih_row_, hh_row_;  // batch 1: the products of one row with W_ih and W_hh
  Tensor gates_, hidden_, cell_state_, hn_, hproj_, dh_carry_, dc_carry_, dhproj_;
};

}  // namespace rnnkit
