#include "tensor/row_ops.h"

#include <algorithm>
#include <cstring>

#include "tensor/vector_kernel.h"

namespace rnnkit::rows {

void copy(int64_t rows, int64_t cols, const float* src, int64_t lds, float* dst, int64_t ldd) {
  // An empty block (no covariates, say) may come with null pointers, which memcpy must not see.
  if (rows <= 0 || cols <= 0) return;
  if (lds == cols && ldd == cols) {
    std::memcpy(dst, src, sizeof(float) * rows * cols);
    return;
  }
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(dst + r * ldd, src + r * lds, sizeof(float) * cols);
}

void copy_rows(int64_t rows, int64_t cols, const float* const* src, float* dst, int64_t ldd) {
  for (int64_t r = 0; r < rows; ++r) copy(1, cols, src[r], cols, dst + r * ldd, ldd);
}

void zero(int64_t rows, int64_t cols, float* dst, int64_t ldd) {
  if (cols <= 0) return;
  for (int64_t r = 0; r < rows; ++r) std::memset(dst + r * ldd, 0, sizeof(float) * cols);
}

namespace {

RNNKIT_VECTOR_KERNEL void add_bias_kernel(int64_t rows, int64_t cols, float* dst, int64_t ldd,
                                          const float* bias, const float* bias2) {
  for (int64_t r = 0; r < rows; ++r) {
    float* d = dst + r * ldd;
    if (bias2) {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) d[c] += bias[c] + bias2[c];
    } else {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) d[c] += bias[c];
    }
  }
}

// Four rows per pass keep the partial sums in registers; each column is still summed one row at a
// time in row order, so the result is the plain loop's, bit for bit.
RNNKIT_VECTOR_KERNEL void add_column_sums_kernel(int64_t rows, int64_t cols, const float* src,
                                                 int64_t lds, float* out, float* out2) {
  int64_t r = 0;
  for (; r + 4 <= rows; r += 4) {
    const float *s0 = src + r * lds, *s1 = s0 + lds, *s2 = s1 + lds, *s3 = s2 + lds;
    if (out2) {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) {
        out[c] = (((out[c] + s0[c]) + s1[c]) + s2[c]) + s3[c];
        out2[c] = (((out2[c] + s0[c]) + s1[c]) + s2[c]) + s3[c];
      }
    } else {
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) out[c] = (((out[c] + s0[c]) + s1[c]) + s2[c]) + s3[c];
    }
  }
  for (; r < rows; ++r) {
    const float* s = src + r * lds;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) out[c] += s[c];
    if (out2)
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) out2[c] += s[c];
  }
}

RNNKIT_VECTOR_KERNEL void scatter_add_rows_kernel(int64_t rows, int64_t cols, const float* src,
                                                  int64_t lds, const int32_t* to, float* dst,
                                                  int64_t ldd) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* s = src + r * lds;
    float* d = dst + to[r] * ldd;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) d[c] += s[c];
  }
}

}  // namespace

void scatter_add_rows(int64_t rows, int64_t cols, const float* src, int64_t lds, const int32_t* to,
                      float* dst, int64_t ldd) {
  vec::dispatch<scatter_add_rows_kernel>(rows, cols, src, lds, to, dst, ldd);
}

void add_bias(int64_t rows, int64_t cols, float* dst, int64_t ldd, const float* bias,
              const float* bias2) {
  // A block of rows per thread from 64K elements (a chunk of logits) outside parallel regions:
  // alone, one thread adding the bias of the output layer kept the other waiting.
#pragma omp parallel if (rows * cols >= (1 << 16) && !omp_in_parallel())
  {
    const auto [r0, r1] = thread_share(rows);
    if (r0 < r1) vec::dispatch<add_bias_kernel>(r1 - r0, cols, dst + r0 * ldd, ldd, bias, bias2);
  }
}

void add_transposed(int64_t rows, int64_t cols, const float* src, int64_t lds, float beta,
                    float* dst, int64_t ldd) {
  // Tiles of 16 x 16, so that both sides are read and written a cache line at a time.
  constexpr int64_t kTile = 16;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile)
    for (int64_t c0 = 0; c0 < cols; c0 += kTile)
      for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
        for (int64_t c = c0; c < std::min(cols, c0 + kTile); ++c) {
          float& out = dst[r * ldd + c];
          out = beta == 0.0f ? src[c * lds + r] : src[c * lds + r] + beta * out;
        }
}

void add_column_sums(int64_t rows, int64_t cols, const float* src, int64_t lds, float* out,
                     float* out2) {
  for_column_blocks(rows, cols, [&](int64_t c0, int64_t c1) {
    vec::dispatch<add_column_sums_kernel>(rows, c1 - c0, src + c0, lds, out + c0,
                                          out2 ? out2 + c0 : nullptr);
  });
}

}  // namespace rnnkit::rows
