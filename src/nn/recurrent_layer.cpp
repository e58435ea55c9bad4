#include "rnnkit/recurrent_layer.h"

#include "nn/cell_kernels.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "tensor/row_ops.h"

namespace rnnkit {

RecurrentLayer::RecurrentLayer(CellKind cell, int64_t input_size, int64_t hidden_size,
                               bool reverse, const std::string& prefix, const std::string& suffix)
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

ParameterList RecurrentLayer::parameters() { return {&weight_ih, &weight_hh, &bias_ih, &bias_hh}; }

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

  const float* w_hh = weight_hh.value.data();
  for (int64_t s = 0; s < T; ++s) {
    const int64_t t = time_of_step(s);
    float* g = gates_.data() + t * B * GH;
    const float* h_prev = hidden + prev_slot(t) * BH;
    float* h_next = hidden + next_slot(t) * BH;
    switch (cell_) {
      case CellKind::Lstm:
        gemm(Trans::No, Trans::Yes, B, GH, H, 1.0f, h_prev, H, w_hh, H, 1.0f, g, GH);
        kernels::lstm_forward_step(B, H, g, cell_state_.data() + prev_slot(t) * BH,
                                   cell_state_.data() + next_slot(t) * BH, h_next);
        break;
      case CellKind::Gru:
        gemm(Trans::No, Trans::Yes, B, GH, H, 1.0f, h_prev, H, w_hh, H, 0.0f, hproj_.data(), GH);
        kernels::gru_forward_step(B, H, g, hproj_.data(), bias_hh.value.data(),
                                  hn_.data() + t * BH, h_prev, h_next);
        break;
      case CellKind::RnnTanh:
      case CellKind::RnnRelu:
        gemm(Trans::No, Trans::Yes, B, GH, H, 1.0f, h_prev, H, w_hh, H, 1.0f, g, GH);
        kernels::rnn_forward_step(B, H, cell_ == CellKind::RnnRelu, g, h_next);
        break;
    }
    rows::copy(B, H, h_next, H, y + t * B * ldy, ldy);
  }
  const int64_t last = reverse_ ? 0 : T;
  if (hT) rows::copy(B, H, hidden + last * BH, H, hT, H);
  if (cT && lstm) rows::copy(B, H, cell_state_.data() + last * BH, H, cT, H);
}

void RecurrentLayer::backward(const float* dy, int64_t ldy, const float* dhT, const float* dcT,
                              float* dx, int64_t ldx, bool accumulate_dx, float* dh0, float* dc0) {
  if (input_ == nullptr) throw Error("RecurrentLayer::backward called without a forward pass");
  const int64_t T = steps_, B = batch_, H = hidden_size_, GH = gate_count(cell_) * H, BH = B * H;
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

  const float* w_hh = weight_hh.value.data();
  const float* hidden = hidden_.data();
  for (int64_t s = T - 1; s >= 0; --s) {
    const int64_t t = time_of_step(s);
    float* g = gates_.data() + t * B * GH;
    const float* dyt = dy + t * B * ldy;
    switch (cell_) {
      case CellKind::Lstm:
        kernels::lstm_backward_step(B, H, g, cell_state_.data() + prev_slot(t) * BH,
                                    cell_state_.data() + next_slot(t) * BH, dyt, ldy,
                                    dh_carry_.data(), dc_carry_.data());
        gemm(Trans::No, Trans::No, B, H, GH, 1.0f, g, GH, w_hh, H, 0.0f, dh_carry_.data(), H);
        break;
      case CellKind::Gru: {
        float* dhp = dhproj_.data() + t * B * GH;
        // The kernel reads dh_next and writes dh * z element by element, so one buffer serves.
        kernels::gru_backward_step(B, H, g, hn_.data() + t * BH, hidden + prev_slot(t) * BH, dyt,
                                   ldy, dh_carry_.data(), dhp, dh_carry_.data());
        gemm(Trans::No, Trans::No, B, H, GH, 1.0f, dhp, GH, w_hh, H, 1.0f, dh_carry_.data(), H);
        break;
      }
      case CellKind::RnnTanh:
      case CellKind::RnnRelu:
        kernels::rnn_backward_step(B, H, cell_ == CellKind::RnnRelu, g, dyt, ldy, dh_carry_.data());
        gemm(Trans::No, Trans::No, B, H, GH, 1.0f, g, GH, w_hh, H, 0.0f, dh_carry_.data(), H);
        break;
    }
  }

  const float* h_prev_block = hidden + (reverse_ ? BH : 0);
  const float* dhp_all = gru ? dhproj_.data() : gates_.data();
  gemm(Trans::Yes, Trans::No, GH, H, T * B, 1.0f, dhp_all, GH, h_prev_block, H, 1.0f,
       weight_hh.grad.data(), H);
  rows::add_column_sums(T * B, GH, dhp_all, GH, bias_hh.grad.data());
  rows::add_column_sums(T * B, GH, gates_.data(), GH, bias_ih.grad.data());
  gemm(Trans::Yes, Trans::No, GH, input_size_, T * B, 1.0f, gates_.data(), GH, input_, ldx_, 1.0f,
       weight_ih.grad.data(), input_size_);
  if (dx)
    gemm(Trans::No, Trans::No, T * B, input_size_, GH, 1.0f, gates_.data(), GH,
         weight_ih.value.data(), input_size_, accumulate_dx ? 1.0f : 0.0f, dx, ldx);
  if (dh0) rows::copy(B, H, dh_carry_.data(), H, dh0, H);
  if (dc0 && lstm) rows::copy(B, H, dc_carry_.data(), H, dc0, H);
  input_ = nullptr;
}

}  // namespace rnnkit
