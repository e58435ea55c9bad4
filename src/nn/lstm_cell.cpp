#include "nn/cell_kernels.h"
#include "nn/cell_type.h"
#include "tensor/vector_kernel.h"

namespace rnnkit::kernels {
namespace {

// One batch row of lstm_forward_step: g [4H], c_prev, c, h [H].
RNNKIT_VECTOR_KERNEL void lstm_forward_row(int64_t H, float* g, const float* cp, float* cb,
                                           float* hb) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    float i = vec::sigmoid(g[j]);
    float f = vec::sigmoid(g[H + j]);
    float gg = vec::tanh(g[2 * H + j]);
    float o = vec::sigmoid(g[3 * H + j]);
    g[j] = i;
    g[H + j] = f;
    g[2 * H + j] = gg;
    g[3 * H + j] = o;
    float cn = f * cp[j] + i * gg;
    cb[j] = cn;
    hb[j] = o * vec::tanh(cn);
  }
}

// One batch row of lstm_backward_step.
RNNKIT_VECTOR_KERNEL void lstm_backward_row(int64_t H, float* g, const float* cp, const float* cb,
                                            const float* dyb, const float* dhn, float* dcc) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
    float dh = dyb[j] + dhn[j];
    float tc = vec::tanh(cb[j]);
    float dc = dcc[j] + dh * o * (1.0f - tc * tc);
    g[j] = dc * gg * i * (1.0f - i);
    g[H + j] = dc * cp[j] * f * (1.0f - f);
    g[2 * H + j] = dc * i * (1.0f - gg * gg);
    g[3 * H + j] = dh * tc * o * (1.0f - o);
    dcc[j] = dc * f;
  }
}

}  // namespace

void lstm_forward_step(int64_t B, int64_t H, float* gates, const float* c_prev, float* c,
                       float* h) {
#pragma omp parallel for schedule(static) if (B * H >= kParallelCellElements)
  for (int64_t b = 0; b < B; ++b)
    vec::dispatch<lstm_forward_row>(H, gates + b * 4 * H, c_prev + b * H, c + b * H, h + b * H);
}

void lstm_backward_step(int64_t B, int64_t H, float* gates, const float* c_prev, const float* c,
                        const float* dy, int64_t ldy, const float* dh_next, float* dc_carry) {
#pragma omp parallel for schedule(static) if (B * H >= kParallelCellElements)
  for (int64_t b = 0; b < B; ++b)
    vec::dispatch<lstm_backward_row>(H, gates + b * 4 * H, c_prev + b * H, c + b * H, dy + b * ldy,
                                     dh_next + b * H, dc_carry + b * H);
}

}  // namespace rnnkit::kernels

namespace rnnkit {
namespace {

void lstm_forward(const CellForwardStep& s) {
  kernels::lstm_forward_step(s.n, s.H, s.gates, s.c_prev, s.c, s.h);
}

void lstm_backward(const CellBackwardStep& s) {
  kernels::lstm_backward_step(s.n, s.H, s.gates, s.c_prev, s.c, s.dy, s.ldy, s.dh, s.dc);
}

}  // namespace

constinit const CellType lstm_cell = {
    .name = "lstm",
    .gate_count = 4,
    .has_cell_state = true,
    .separate_hidden_product = false,
    .shared_gradient_gates = 0,
    .supports_projection = true,
    .remember_gate = 1,
    .forward_step = lstm_forward,
    .backward_step = lstm_backward,
    .init_bound = torch_init_bound,
};

}  // namespace rnnkit
