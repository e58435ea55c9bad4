#include "tensor/row_ops.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "rnnkit/cpu_dispatch.h"

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

namespace {

// dst [8][8] (ldd apart) = the transpose of src [8][8] (lds apart), in registers.
[[gnu::target("avx2")]] void transpose_tile_avx2(const float* src, int64_t lds, float* dst,
                                                 int64_t ldd) {
  __m256 row[8], pair[8];
  for (int i = 0; i < 8; ++i) row[i] = _mm256_loadu_ps(src + i * lds);
  for (int i = 0; i < 8; i += 2) {
    pair[i] = _mm256_unpacklo_ps(row[i], row[i + 1]);
    pair[i + 1] = _mm256_unpackhi_ps(row[i], row[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    row[i] = _mm256_shuffle_ps(pair[i], pair[i + 2], 0x44);
    row[i + 1] = _mm256_shuffle_ps(pair[i], pair[i + 2], 0xEE);
    row[i + 2] = _mm256_shuffle_ps(pair[i + 1], pair[i + 3], 0x44);
    row[i + 3] = _mm256_shuffle_ps(pair[i + 1], pair[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; ++i) {
    _mm256_storeu_ps(dst + i * ldd, _mm256_permute2f128_ps(row[i], row[i + 4], 0x20));
    _mm256_storeu_ps(dst + (i + 4) * ldd, _mm256_permute2f128_ps(row[i], row[i + 4], 0x31));
  }
}

// The same for [16][16], whole cache lines on both sides.
[[gnu::target("avx512f")]] void transpose_tile_avx512(const float* src, int64_t lds, float* dst,
                                                      int64_t ldd) {
  __m512 a[16], b[16];
  for (int i = 0; i < 16; ++i) a[i] = _mm512_loadu_ps(src + i * lds);
  // Within each 128-bit lane, as in the 8 x 8 tile: lane l of a[4k + j] then holds column 4l + j
  // of rows 4k .. 4k + 3.
  for (int i = 0; i < 16; i += 2) {
    b[i] = _mm512_maskz_unpacklo_ps(0xffff, a[i], a[i + 1]);
    b[i + 1] = _mm512_maskz_unpackhi_ps(0xffff, a[i], a[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    a[i] = _mm512_maskz_shuffle_ps(0xffff, b[i], b[i + 2], 0x44);
    a[i + 1] = _mm512_maskz_shuffle_ps(0xffff, b[i], b[i + 2], 0xEE);
    a[i + 2] = _mm512_maskz_shuffle_ps(0xffff, b[i + 1], b[i + 3], 0x44);
    a[i + 3] = _mm512_maskz_shuffle_ps(0xffff, b[i + 1], b[i + 3], 0xEE);
  }
  // Then whole lanes: lane l of a[4k + j] becomes columns 4k .. 4k + 3 of dst's row 4l + j.
  for (int i = 0; i < 4; ++i) {
    b[i] = _mm512_maskz_shuffle_f32x4(0xffff, a[i], a[i + 4], 0x88);
    b[i + 4] = _mm512_maskz_shuffle_f32x4(0xffff, a[i], a[i + 4], 0xDD);
    b[i + 8] = _mm512_maskz_shuffle_f32x4(0xffff, a[i + 8], a[i + 12], 0x88);
    b[i + 12] = _mm512_maskz_shuffle_f32x4(0xffff, a[i + 8], a[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    _mm512_storeu_ps(dst + i * ldd, _mm512_maskz_shuffle_f32x4(0xffff, b[i], b[i + 8], 0x88));
    _mm512_storeu_ps(dst + (i + 8) * ldd, _mm512_maskz_shuffle_f32x4(0xffff, b[i], b[i + 8], 0xDD));
  }
}

}  // namespace

void transpose(int64_t rows, int64_t cols, const float* src, int64_t lds, float* dst, int64_t ldd) {
  // Tiles of 16 x 16 on the AVX-512 path, 8 x 8 on the AVX2 one (in registers), so that both
  // sides are read and written a cache line (or half of one) at a time; each thread takes a
  // block of src's columns (whole cache lines), dst's rows.
  const bool avx512 = cpu_path() == CpuPath::Avx512, avx2 = cpu_path() != CpuPath::Baseline;
  const int64_t kTile = avx512 ? 16 : 8;
  for_column_blocks(rows, cols, [&](int64_t c_begin, int64_t c_end) {
    for (int64_t r0 = 0; r0 < rows; r0 += kTile)
      for (int64_t c0 = c_begin; c0 < c_end; c0 += kTile) {
        if (avx2 && r0 + kTile <= rows && c0 + kTile <= c_end) {
          if (avx512)
            transpose_tile_avx512(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
          else
            transpose_tile_avx2(src + r0 * lds + c0, lds, dst + c0 * ldd + r0, ldd);
          continue;
        }
        for (int64_t c = c0; c < std::min(c_end, c0 + kTile); ++c)
          for (int64_t r = r0; r < std::min(rows, r0 + kTile); ++r)
            dst[c * ldd + r] = src[r * lds + c];
      }
  });
}

void add_column_sums(int64_t rows, int64_t cols, const float* src, int64_t lds, float* out,
                     float* out2) {
  for_column_blocks(rows, cols, [&](int64_t c0, int64_t c1) {
    vec::dispatch<add_column_sums_kernel>(rows, c1 - c0, src + c0, lds, out + c0,
                                          out2 ? out2 + c0 : nullptr);
  });
}

}  // namespace rnnkit::rows
