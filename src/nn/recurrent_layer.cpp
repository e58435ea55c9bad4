#include "rnnkit/recurrent_layer.h"

#include <omp.h>

#include "nn/cell_kernels.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

// How many batch slices run the time loop side by side, one per thread. A slice keeps W_hh hot
// in its core's L2 and meets the others only at the end of the sequence, so a busy other core
// slows one slice instead of stalling every step. Slices need enough rows to keep the products
// efficient; when W_hh does not fit in L2 and the batch is small (PTB-medium: 6.8 MB, 20 rows),
// splitting the products' columns across threads (oneDNN's own threading) reads the weights
// once per step instead of once per slice, and wins.
int batch_slices(int64_t B, int64_t GH, int64_t H) {
  const int threads = omp_in_parallel() ? 1 : num_threads();
  if (threads < 2) return 1;
  const int64_t per_slice = B / threads;
  const bool weights_in_l2 = GH * H * static_cast<int64_t>(sizeof(float)) <= (int64_t{1} << 20);
  if (per_slice < 8 || (!weights_in_l2 && per_slice < 64)) return 1;
  return threads;
}

// Runs body(b0, n) for each slice of the batch (n rows from b0), in parallel when there are
// several. One slice runs outside any parallel region: inside an inactive one (if (false)), each
// product's own parallel loop would be a nested region with a team of its own, milliseconds to
// start.
template <class Body>
void for_each_slice(int64_t B, int slices, const Body& body) {
  if (slices == 1) {
    body(0, B);
    return;
  }
#pragma omp parallel for num_threads(slices) schedule(static, 1)
  for (int k = 0; k < slices; ++k) {
    const int64_t b0 = B * k / slices, b1 = B * (k + 1) / slices;
    body(b0, b1 - b0);
  }
}

// The operands of the weight-gradient products, shared by all layers (they run one after
// another) and kept between steps, so their bfloat16 copies are allocated once.
struct GradientOperands {
  MatmulOperand gates, dhproj, h_prev, input, weight_ih;
};

GradientOperands& gradient_operands() {
  thread_local GradientOperands operands;
  return operands;
}

}  // namespace

RecurrentLayer::RecurrentLayer(CellKind cell, int64_t input_size, int64_t hidden_size, bool reverse,
                               const std::string& prefix, const std::string& suffix)
    : weight_ih(prefix + ".weight_ih" + suffix, {gate_count(cell) * hidden_size, input_size}),
      weight_hh(prefix + ".weight_hh" + suffix, {gate_count(cell) * hidden_size, hidden_size}),
      bias_ih(prefix + ".bias_ih" + suffix, {gate_count(cell) * hidden_size}),
      bias_hh(prefix + ".bias_hh" + suffix, {gate_count(cell) * hidden_size}),
      cell_(cell),
      input_size_(input_size),
      hidden_size_(hidden_size),
      reverse_(reverse) {
  if (input_size <= 0 || hidden_size <= 0)
    throw Error("recurrent layer sizes must be positive (input " + std::to_string(input_size) +
                ", hidden " + std::to_string(hidden_size) + ")");
}

ParameterList RecurrentLayer::parameters() {
  return {&weight_ih, &weight_hh, &bias_ih, &bias_hh};
}

void RecurrentLayer::hidden_product(int64_t n, const float* h, float beta, float* out) {
  const int64_t H = hidden_size_, GH = gate_count(cell_) * H;
  if (packed_)
    hh_forward_.multiply(n, h, H, beta, out, GH);
  else if (batch_ == 1)
    hh_row_.multiply(GH, H, weight_hh.value.data(), h, beta, out);
  else
    gemm(Trans::No, Trans::Yes, n, GH, H, 1.0f, h, H, weight_hh.value.data(), H, beta, out, GH);
}

void RecurrentLayer::hidden_grad_product(int64_t n, const float* dgates, float beta, float* dh) {
  const int64_t H = hidden_size_, GH = gate_count(cell_) * H;
  if (packed_)
    hh_backward_.multiply(n, dgates, GH, beta, dh, H);
  else
    gemm(Trans::No, Trans::No, n, H, GH, 1.0f, dgates, GH, weight_hh.value.data(), H, beta, dh, H);
}

void RecurrentLayer::forward(const float* x, int64_t ldx, int64_t T, int64_t B, const float* h0,
                             const float* c0, float* y, int64_t ldy, float* hT, float* cT) {
  const int64_t H = hidden_size_, GH = gate_count(cell_) * H, BH = B * H;
  input_ = x;
  ldx_ = ldx;
  steps_ = T;
  batch_ = B;
  gates_.resize({T, B, GH});
  hidden_.resize({T + 1, B, H});
  const bool lstm = cell_ == CellKind::Lstm, gru = cell_ == CellKind::Gru;
  if (lstm) cell_state_.resize({T + 1, B, H});
  if (gru) {
    hn_.resize({T, B, H});
    hproj_.resize({B, GH});
  }

  if (T * B == 1)
    ih_row_.multiply(GH, input_size_, weight_ih.value.data(), x, 0.0f, gates_.data());
  else
    gemm(Trans::No, Trans::Yes, T * B, GH, input_size_, 1.0f, x, ldx, weight_ih.value.data(),
         input_size_, 0.0f, gates_.data(), GH);
  rows::add_bias(T * B, GH, gates_.data(), GH, bias_ih.value.data(),
                 gru ? nullptr : bias_hh.value.data());

  const int64_t first = reverse_ ? T : 0;
  float* hidden = hidden_.data();
  if (h0)
    rows::copy(B, H, h0, H, hidden + first * BH, H);
  else
    rows::zero(B, H, hidden + first * BH, H);
  if (lstm) {
    if (c0)
      rows::copy(B, H, c0, H, cell_state_.data() + first * BH, H);
    else
      rows::zero(B, H, cell_state_.data() + first * BH, H);
  }

  // Packing W_hh pays off over the steps of a sequence; single steps (generation) keep the plain
  // product (a float32 GEMV for one row).
  packed_ = T > 1 && B > 1;
  if (packed_) hh_forward_.pack(Trans::Yes, H, GH, weight_hh.value.data(), H);
  for_each_slice(B, batch_slices(B, GH, H),
                 [&](int64_t b0, int64_t n) { forward_rows(b0, n, y, ldy); });

  const int64_t last = reverse_ ? 0 : T;
  if (hT) rows::copy(B, H, hidden + last * BH, H, hT, H);
  if (cT && lstm) rows::copy(B, H, cell_state_.data() + last * BH, H, cT, H);
}

void RecurrentLayer::forward_rows(int64_t b0, int64_t n, float* y, int64_t ldy) {
  const int64_t T = steps_, B = batch_, H = hidden_size_, GH = gate_count(cell_) * H, BH = B * H;
  float* hidden = hidden_.data() + b0 * H;
  float* cells = cell_ == CellKind::Lstm ? cell_state_.data() + b0 * H : nullptr;
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_of_step(s);
    float* g = gates_.data() + (t * B + b0) * GH;
    const float* h_prev = hidden + prev_slot(t) * BH;
    float* h_next = hidden + next_slot(t) * BH;
    switch (cell_) {
      case CellKind::Lstm:
        hidden_product(n, h_prev, 1.0f, g);
        kernels::lstm_forward_step(n, H, g, cells + prev_slot(t) * BH, cells + next_slot(t) * BH,
                                   h_next);
        break;
      case CellKind::Gru: {
        float* hproj = hproj_.data() + b0 * GH;
        hidden_product(n, h_prev, 0.0f, hproj);
        kernels::gru_forward_step(n, H, g, hproj, bias_hh.value.data(),
                                  hn_.data() + t * BH + b0 * H, h_prev, h_next);
        break;
      }
      case CellKind::RnnTanh:
      case CellKind::RnnRelu:
        hidden_product(n, h_prev, 1.0f, g);
        kernels::rnn_forward_step(n, H, cell_ == CellKind::RnnRelu, g, h_next);
        break;
    }
    rows::copy(n, H, h_next, H, y + (t * B + b0) * ldy, ldy);
  }
}

void RecurrentLayer::backward(const float* dy, int64_t ldy, const float* dhT, const float* dcT,
                              float* dx, int64_t ldx, bool accumulate_dx, float* dh0, float* dc0) {
  if (input_ == nullptr) throw Error("RecurrentLayer::backward called without a forward pass");
  const int64_t T = steps_, B = batch_, H = hidden_size_, GH = gate_count(cell_) * H, BH = B * H;
  const int64_t I = input_size_, N = T * B;
  const bool lstm = cell_ == CellKind::Lstm, gru = cell_ == CellKind::Gru;
  dh_carry_.resize({B, H});
  if (dhT)
    rows::copy(B, H, dhT, H, dh_carry_.data(), H);
  else
    dh_carry_.zero();
  if (lstm) {
    dc_carry_.resize({B, H});
    if (dcT)
      rows::copy(B, H, dcT, H, dc_carry_.data(), H);
    else
      dc_carry_.zero();
  }
  if (gru) dhproj_.resize({T, B, GH});
  if (packed_) hh_backward_.pack(Trans::No, GH, H, weight_hh.value.data(), H);

  for_each_slice(B, batch_slices(B, GH, H),
                 [&](int64_t b0, int64_t n) { backward_rows(b0, n, dy, ldy); });

  const float* h_prev_block = hidden_.data() + (reverse_ ? BH : 0);
  const float* dhp_all = gru ? dhproj_.data() : gates_.data();
  rows::add_column_sums(N, GH, dhp_all, GH, bias_hh.grad.data());
  rows::add_column_sums(N, GH, gates_.data(), GH, bias_ih.grad.data());
  // Each operand is prepared once (in bfloat16, rounded once), though the pre-activation
  // gradients feed three products.
  GradientOperands& op = gradient_operands();
  op.gates.prepare(N, GH, gates_.data(), GH);
  if (gru) op.dhproj.prepare(N, GH, dhp_all, GH);
  const MatmulOperand& dhp = gru ? op.dhproj : op.gates;
  op.h_prev.prepare(N, H, h_prev_block, H);
  op.input.prepare(N, I, input_, ldx_);
  gemm(Trans::Yes, Trans::No, 1.0f, dhp, op.h_prev, 1.0f, weight_hh.grad.data(), H);
  gemm(Trans::Yes, Trans::No, 1.0f, op.gates, op.input, 1.0f, weight_ih.grad.data(), I);
  if (dx) {
    op.weight_ih.prepare(GH, I, weight_ih.value.data(), I);
    gemm(Trans::No, Trans::No, 1.0f, op.gates, op.weight_ih, accumulate_dx ? 1.0f : 0.0f, dx, ldx);
  }
  if (dh0) rows::copy(B, H, dh_carry_.data(), H, dh0, H);
  if (dc0 && lstm) rows::copy(B, H, dc_carry_.data(), H, dc0, H);
  input_ = nullptr;
}

void RecurrentLayer::backward_rows(int64_t b0, int64_t n, const float* dy, int64_t ldy) {
  const int64_t T = steps_, B = batch_, H = hidden_size_, GH = gate_count(cell_) * H, BH = B * H;
  const float* hidden = hidden_.data() + b0 * H;
  const float* cells = cell_ == CellKind::Lstm ? cell_state_.data() + b0 * H : nullptr;
  float* dh = dh_carry_.data() + b0 * H;
  float* dc = cell_ == CellKind::Lstm ? dc_carry_.data() + b0 * H : nullptr;
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = time_of_step(s);
    float* g = gates_.data() + (t * B + b0) * GH;
    const float* dyt = dy + (t * B + b0) * ldy;
    switch (cell_) {
      case CellKind::Lstm:
        kernels::lstm_backward_step(n, H, g, cells + prev_slot(t) * BH, cells + next_slot(t) * BH,
                                    dyt, ldy, dh, dc);
        hidden_grad_product(n, g, 0.0f, dh);
        break;
      case CellKind::Gru: {
        float* dhp = dhproj_.data() + (t * B + b0) * GH;
        // The kernel reads dh_next and writes dh * z element by element, so one buffer serves.
        kernels::gru_backward_step(n, H, g, hn_.data() + t * BH + b0 * H,
                                   hidden + prev_slot(t) * BH, dyt, ldy, dh, dhp, dh);
        hidden_grad_product(n, dhp, 1.0f, dh);
        break;
      }
      case CellKind::RnnTanh:
      case CellKind::RnnRelu:
        kernels::rnn_backward_step(n, H, cell_ == CellKind::RnnRelu, g, dyt, ldy, dh);
        hidden_grad_product(n, g, 0.0f, dh);
        break;
    }
  }
}

}  // namespace rnnkit
