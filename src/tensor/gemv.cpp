#include "tensor/gemv.h"

#include <algorithm>

#include "tensor/gemv_blocks.h"
#include "tensor/vector_kernel.h"

namespace rnnkit::gemv {
namespace {

inline float widen(float w) {
  return w;
}
inline float widen(int8_t w) {
  return static_cast<float>(w);
}

// y[n0, n0 + rows) for rows <= kRows; row n is scaled by row_scales[n], or by alpha where
// row_scales is null.
template <typename Weight>
RNNKIT_VECTOR_KERNEL void block(int64_t n0, int64_t rows, int64_t K, float alpha,
                                const float* row_scales, const Weight* W, int64_t ldw,
                                const float* x, float beta, float* y) {
  float acc[kRows] = {};
  if (rows == kRows) {
    const Weight* w = W + n0 * ldw;
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
#pragma omp simd reduction(+ : a0, a1, a2, a3, a4, a5, a6, a7)
    for (int64_t k = 0; k < K; ++k) {
      const float xk = x[k];
      a0 += widen(w[k]) * xk;
      a1 += widen(w[ldw + k]) * xk;
      a2 += widen(w[2 * ldw + k]) * xk;
      a3 += widen(w[3 * ldw + k]) * xk;
      a4 += widen(w[4 * ldw + k]) * xk;
      a5 += widen(w[5 * ldw + k]) * xk;
      a6 += widen(w[6 * ldw + k]) * xk;
      a7 += widen(w[7 * ldw + k]) * xk;
    }
    acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3, acc[4] = a4, acc[5] = a5, acc[6] = a6,
    acc[7] = a7;
  } else {
    for (int64_t r = 0; r < rows; ++r) {
      const Weight* w = W + (n0 + r) * ldw;
      float a = 0;
#pragma omp simd reduction(+ : a)
      for (int64_t k = 0; k < K; ++k) a += widen(w[k]) * x[k];
      acc[r] = a;
    }
  }
  for (int64_t r = 0; r < rows; ++r)
    y[n0 + r] = (row_scales ? row_scales[n0 + r] : alpha) * acc[r] +
                (beta == 0.0f ? 0.0f : beta * y[n0 + r]);
}

// The blocks [b0, b1) of kRows rows, for each of M rows of X (ldx apart) into Y (ldy apart):
// a block's weights are read from memory for the first row and from L1 for the others, and each
// row gets the bits it gets alone.
template <typename Weight>
RNNKIT_VECTOR_KERNEL void blocks(int64_t b0, int64_t b1, int64_t N, int64_t K, float alpha,
                                 const float* row_scales, const Weight* W, int64_t ldw, int64_t M,
                                 const float* X, int64_t ldx, float beta, float* Y, int64_t ldy) {
  for (int64_t b = b0; b < b1; ++b)
    for (int64_t m = 0; m < M; ++m)
      block(b * kRows, std::min(kRows, N - b * kRows), K, alpha, row_scales, W, ldw, X + m * ldx,
            beta, Y + m * ldy);
}

}  // namespace

void f32(int64_t N, int64_t K, float alpha, const float* W, int64_t ldw, const float* x, float beta,
         float* y) {
  over_blocks(N, K, [&](int64_t b0, int64_t b1) {
    vec::dispatch<blocks<float>>(b0, b1, N, K, alpha, nullptr, W, ldw, 1, x, K, beta, y, N);
  });
}

void int8_widened(int64_t N, int64_t K, const int8_t* W, int64_t ldw, const float* row_scales,
                  int64_t M, const float* X, int64_t ldx, float beta, float* Y, int64_t ldy) {
  over_blocks(N, K, [&](int64_t b0, int64_t b1) {
    vec::dispatch<blocks<int8_t>>(b0, b1, N, K, 1.0f, row_scales, W, ldw, M, X, ldx, beta, Y, ldy);
  });
}

}  // namespace rnnkit::gemv
