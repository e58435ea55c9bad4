#pragma once
#include <cstdint>

#include "rnnkit/cell_kind.h"

// The cell interface: a cell is its kernel file, which defines a CellType, plus one line in the
// registry (src/nn/cell_registry.cpp). RecurrentLayer runs every cell through it; the parameters
// follow torch.nn's layout for G gates: weight_ih [G*H, In], weight_hh [G*H, S], bias_ih and
// bias_hh [G*H], and weight_hr [P, H] when the cell supports a projection (S = P, else S = H).
namespace rnnkit {

// One forward time step over n batch rows of hidden size H. gates [n,G*H] holds the
// pre-activations x W_ih^T + b_ih, plus h_prev W_hh^T + b_hh unless the cell keeps the hidden
// side apart (then hproj [n,G*H] holds h_prev W_hh^T without bias); the kernel activates the
// gates in place and writes h [n,H] (and c [n,H] for a cell state). aux [n,H] is the cell's
// own per-step cache for backward (GRU: W_hn h + b_hn). A cell that keeps the hidden side apart
// reads row i's input pre-activations from input_rows[i] when that is not null (a one-hot
// layer's rows of W_ih^T plus biases) and still writes its activations to gates.
struct CellForwardStep {
  int64_t n, H;
  float* gates;
  const float* const* input_rows;
  const float* hproj;
  const float* bias_hh;
  float* aux;
  const float* h_prev;
  float* h;
  const float* c_prev;
  float* c;
};

// One backward time step: the gradient of h is dy (row stride ldy) + dh. The kernel turns the
// activated gates into pre-activation gradients in place, carries dc back through the cell
// state, and, for a cell that keeps the hidden side apart, writes the hidden-side
// pre-activation gradients to dhproj and the direct part of dh_prev to dh (the layer adds
// dhproj W_hh to it; for the other cells it overwrites dh with gates W_hh).
struct CellBackwardStep {
  int64_t n, H;
  float* gates;
  const float* aux;
  const float* h_prev;
  const float* c_prev;
  const float* c;
  const float* dy;
  int64_t ldy;
  float* dh;
  float* dc;
  float* dhproj;
};

struct CellType {
  const char* name;
  int gate_count;
  bool has_cell_state;
  bool separate_hidden_product;  // the gates read h W_hh^T + b_hh on its own (GRU's r * (...))
  // With a separate hidden product: how many leading gates have hidden-side pre-activation
  // gradients equal to their input side's (GRU's r and z), so one column sum is both biases'.
  int shared_gradient_gates;
  bool supports_projection;
  int remember_gate;  // the gate whose bias_ih keeps the state (LSTM f, GRU z), or -1
  void (*forward_step)(const CellForwardStep&);
  void (*backward_step)(const CellBackwardStep&);
  float (*init_bound)(int64_t hidden_size);  // every parameter uniform in (-bound, bound)
};

// torch.nn's rule for all its cells: 1/sqrt(hidden_size).
float torch_init_bound(int64_t hidden_size);

extern const CellType rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell;

}  // namespace rnnkit
