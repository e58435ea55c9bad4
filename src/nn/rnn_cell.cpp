#include "nn/cell_kernels.h"
#include "nn/cell_type.h"
#include "tensor/vector_kernel.h"

namespace rnnkit::kernels {
namespace {

// Row by row, as the other cells' kernels: a loop over all B * H values would give a row's last
// values to a vector lane or to the narrower epilogue depending on the rows before it, and GCC
// contracts the epilogue's tanh into FMAs differently (one ulp), so a batched generation step
// would no longer give each row its bits alone.
RNNKIT_VECTOR_KERNEL void rnn_forward_kernel(int64_t B, int64_t H, bool relu, float* gates,
                                             float* h) {
  for (int64_t b = 0; b < B; ++b) {
    float* g = gates + b * H;
    float* hb = h + b * H;
    if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) hb[j] = g[j] = g[j] > 0.0f ? g[j] : 0.0f;
    } else {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) hb[j] = g[j] = vec::tanh(g[j]);
    }
  }
}

RNNKIT_VECTOR_KERNEL void rnn_backward_kernel(int64_t B, int64_t H, bool relu, float* gates,
                                              const float* dy, int64_t ldy, const float* dh_next) {
  for (int64_t b = 0; b < B; ++b) {
    float* g = gates + b * H;
    const float* dyb = dy + b * ldy;
    const float* dhn = dh_next + b * H;
    if (relu) {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) g[j] = g[j] > 0.0f ? dyb[j] + dhn[j] : 0.0f;
    } else {
#pragma omp simd
      for (int64_t j = 0; j < H; ++j) g[j] = (dyb[j] + dhn[j]) * (1.0f - g[j] * g[j]);
    }
  }
}

}  // namespace

void rnn_forward_step(int64_t B, int64_t H, bool relu, float* gates, float* h) {
  vec::dispatch<rnn_forward_kernel>(B, H, relu, gates, h);
}

void rnn_backward_step(int64_t B, int64_t H, bool relu, float* gates, const float* dy, int64_t ldy,
                       const float* dh_next) {
  vec::dispatch<rnn_backward_kernel>(B, H, relu, gates, dy, ldy, dh_next);
}

}  // namespace rnnkit::kernels

namespace rnnkit {
namespace {

template <bool relu>
void rnn_forward(const CellForwardStep& s) {
  kernels::rnn_forward_step(s.n, s.H, relu, s.gates, s.h);
}

template <bool relu>
void rnn_backward(const CellBackwardStep& s) {
  kernels::rnn_backward_step(s.n, s.H, relu, s.gates, s.dy, s.ldy, s.dh);
}

// The two nonlinearities of torch.nn.RNN share everything but the kernels' relu flag.
template <bool relu>
constexpr CellType simple_rnn_cell(const char* name) {
  return {
      .name = name,
      .gate_count = 1,
      .has_cell_state = false,
      .separate_hidden_product = false,
      .shared_gradient_gates = 0,
      .supports_projection = false,
      .remember_gate = -1,
      .forward_step = rnn_forward<relu>,
      .backward_step = rnn_backward<relu>,
      .init_bound = torch_init_bound,
  };
}

}  // namespace

constinit const CellType rnn_tanh_cell = simple_rnn_cell<false>("rnn_tanh");
constinit const CellType rnn_relu_cell = simple_rnn_cell<true>("rnn_relu");

}  // namespace rnnkit
