#include "nn/cell_kernels.h"
#include "nn/cell_type.h"
#include "tensor/vector_kernel.h"

namespace rnnkit::kernels {
namespace {

// One batch row of gru_forward_step: g, in (g itself, or the row elsewhere), hp [3H]; hnb,
// hprev, hb [H].
RNNKIT_VECTOR_KERNEL void gru_forward_row(int64_t H, float* g, const float* in, const float* hp,
                                          const float* bias_hh, float* hnb, const float* hprev,
                                          float* hb) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    float r = vec::sigmoid(in[j] + hp[j] + bias_hh[j]);
    float z = vec::sigmoid(in[H + j] + hp[H + j] + bias_hh[H + j]);
    float hnv = hp[2 * H + j] + bias_hh[2 * H + j];
    float n = vec::tanh(in[2 * H + j] + r * hnv);
    g[j] = r;
    g[H + j] = z;
    g[2 * H + j] = n;
    hnb[j] = hnv;
    hb[j] = (1.0f - z) * n + z * hprev[j];
  }
}

// One batch row of gru_backward_step.
RNNKIT_VECTOR_KERNEL void gru_backward_row(int64_t H, float* g, const float* hnb,
                                           const float* hprev, const float* dyb, const float* dhn,
                                           float* dhp, float* dhd) {
#pragma omp simd
  for (int64_t j = 0; j < H; ++j) {
    float r = g[j], z = g[H + j], n = g[2 * H + j];
    float dh = dyb[j] + dhn[j];
    float dn_pre = dh * (1.0f - z) * (1.0f - n * n);
    float dz_pre = dh * (hprev[j] - n) * z * (1.0f - z);
    float dr_pre = dn_pre * hnb[j] * r * (1.0f - r);
    g[j] = dr_pre;
    g[H + j] = dz_pre;
    g[2 * H + j] = dn_pre;
    dhp[j] = dr_pre;
    dhp[H + j] = dz_pre;
    dhp[2 * H + j] = dn_pre * r;
    dhd[j] = dh * z;
  }
}

}  // namespace

void gru_forward_step(int64_t B, int64_t H, float* gates, const float* const* input_rows,
                      const float* hproj, const float* bias_hh, float* hn, const float* h_prev,
                      float* h) {
#pragma omp parallel for schedule(static) if (B * H >= kParallelCellElements)
  for (int64_t b = 0; b < B; ++b) {
    float* g = gates + b * 3 * H;
    vec::dispatch<gru_forward_row>(H, g, input_rows ? input_rows[b] : g, hproj + b * 3 * H, bias_hh,
                                   hn + b * H, h_prev + b * H, h + b * H);
  }
}

void gru_backward_step(int64_t B, int64_t H, float* gates, const float* hn, const float* h_prev,
                       const float* dy, int64_t ldy, const float* dh_next, float* dhproj,
                       float* dh_prev_direct) {
#pragma omp parallel for schedule(static) if (B * H >= kParallelCellElements)
  for (int64_t b = 0; b < B; ++b)
    vec::dispatch<gru_backward_row>(H, gates + b * 3 * H, hn + b * H, h_prev + b * H, dy + b * ldy,
                                    dh_next + b * H, dhproj + b * 3 * H, dh_prev_direct + b * H);
}

}  // namespace rnnkit::kernels

namespace rnnkit {
namespace {

void gru_forward(const CellForwardStep& s) {
  kernels::gru_forward_step(s.n, s.H, s.gates, s.input_rows, s.hproj, s.bias_hh, s.aux, s.h_prev,
                            s.h);
}

// The kernel reads dh_next and writes dh * z element by element, so one buffer serves.
void gru_backward(const CellBackwardStep& s) {
  kernels::gru_backward_step(s.n, s.H, s.gates, s.aux, s.h_prev, s.dy, s.ldy, s.dh, s.dhproj, s.dh);
}

}  // namespace

constinit const CellType gru_cell = {
    .name = "gru",
    .gate_count = 3,
    .has_cell_state = false,
    .separate_hidden_product = true,
    .shared_gradient_gates = 2,
    .supports_projection = false,
    .remember_gate = 1,
    .forward_step = gru_forward,
    .backward_step = gru_backward,
    .init_bound = torch_init_bound,
};

}  // namespace rnnkit
