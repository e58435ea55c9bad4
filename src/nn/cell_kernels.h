#pragma once
#include <cstdint>

// Fused pointwise kernels of one time step, one per cell, over a batch of B rows of hidden size
// H. Gate buffers hold the rows of one step, G*H floats per batch row in PyTorch's gate order.
// Forward kernels turn pre-activations into activations in place; backward kernels turn the
// activations into pre-activation gradients in place (backward consumes the forward cache).
namespace rnnkit::kernels {

// A step's kernel shares its batch rows among the threads from this many elements (B x H) on,
// outside a parallel region. Alone, with its rows in one core's cache (BM_LstmForwardStep and the
// like, raw bench/results/micro-cell-threads-*), sharing 20 x 650 speeds up the LSTM's forward
// step and the GRU's backward and slows the other two; in a training step, where the product
// before it leaves each row's gates split between the two cores' caches, both directions gain:
// PTB-medium's layers forward 38.5 -> 37.1 ms and backward 68.8 -> 67.0 a step (medians of nine
// alternating profiles, ab-cell-threads-profile-*), a GRU of 650 on 20 rows 8.07 -> 7.80 and
// 14.63 -> 14.29 (four, ab-cell-threads-gru-profile-*). The d2l configs' 16-row slices run inside
// their slice's thread whatever the bound.
constexpr int64_t kParallelCellElements = 8192;

// gates: [B,4H] pre-activations (x W_ih^T + h W_hh^T + biases) -> activated (i, f, g, o).
// c = f * c_prev + i * g; h = o * tanh(c).
void lstm_forward_step(int64_t B, int64_t H, float* gates, const float* c_prev, float* c, float* h);
// dh = dy + dh_next (dy has row stride ldy); dc_carry: in dc_next, out dc_prev.
void lstm_backward_step(int64_t B, int64_t H, float* gates, const float* c_prev, const float* c,
                        const float* dy, int64_t ldy, const float* dh_next, float* dc_carry);

// gates: [B,3H] input projections (x W_ih^T + b_ih) -> activated (r, z, n); the projections are
// read from input_rows[b] instead when it is not null (a one-hot layer's rows of W_ih^T, not
// copied); hproj: [B,3H] h W_hh^T (without bias); hn out: W_hn h + b_hn, kept for backward.
void gru_forward_step(int64_t B, int64_t H, float* gates, const float* const* input_rows,
                      const float* hproj, const float* bias_hh, float* hn, const float* h_prev,
                      float* h);
// dgates out (in place of gates): input-side pre-activation grads; dhproj: hidden-side ones.
// dh_prev_direct = dh * z (the recurrent GEMM adds dhproj W_hh to it).
void gru_backward_step(int64_t B, int64_t H, float* gates, const float* hn, const float* h_prev,
                       const float* dy, int64_t ldy, const float* dh_next, float* dhproj,
                       float* dh_prev_direct);

// gates: [B,H] pre-activations -> h = tanh or relu, written to gates and h.
void rnn_forward_step(int64_t B, int64_t H, bool relu, float* gates, float* h);
void rnn_backward_step(int64_t B, int64_t H, bool relu, float* gates, const float* dy, int64_t ldy,
                       const float* dh_next);

}  // namespace rnnkit::kernels
