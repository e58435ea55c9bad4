#include "tensor/int8_gemv.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "tensor/gemv.h"
#include "tensor/gemv_blocks.h"
#include "tensor/vector_kernel.h"

namespace rnnkit::gemv {
namespace {

// vpdpbusd adds products of at most 255 * 127 into int32 lanes: 65536 of them stay below 2^31.
constexpr int64_t kMaxVnniCols = 65536;

bool cpu_has_vnni() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw");
#else
  return false;
#endif
}

bool cpu_has_avx_vnni() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avxvnni") && __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

// x quantized to unsigned bytes for vpdpbusd: round(x / sx) + 128, padded with 128 to the
// matrix's row stride ld (the padding weights are zero), into out[0, ld). Returns sx, or NaN
// where x is not finite. Each element's operations are the same in any vector width, so every
// CPU path quantizes to the same bytes (the kernels' results are equal bit for bit).
RNNKIT_VECTOR_KERNEL float quantize_activations(const float* x, int64_t K, int64_t ld,
                                                uint8_t* out) {
  float max_abs = 0.0f;
  bool finite = true;
#pragma omp simd reduction(max : max_abs) reduction(&& : finite)
  for (int64_t k = 0; k < K; ++k) {
    finite = finite && (x[k] - x[k] == 0.0f);  // 0 for finite x, NaN for NaN and ±inf
    const float a = std::fabs(x[k]);
    max_abs = a > max_abs ? a : max_abs;
  }
  if (!finite) return NAN;
  std::fill_n(out, ld, uint8_t{128});
  if (max_abs == 0.0f) return 0.0f;
  const float sx = max_abs / 127.0f, inverse = 127.0f / max_abs;
  const float round_magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to nearest even
#pragma omp simd
  for (int64_t k = 0; k < K; ++k) {
    float v = (x[k] * inverse + round_magic) - round_magic;
    v = v > 127.0f ? 127.0f : (v < -127.0f ? -127.0f : v);
    out[k] = static_cast<uint8_t>(static_cast<int32_t>(v) + 128);
  }
  return sx;
}

// The rows of x quantized for vpdpbusd, ld bytes apart, with their scales (NaN: not finite).
struct QuantizedRows {
  std::vector<uint8_t> values;
  std::vector<float> scales;
  std::vector<size_t> finite;  // the rows whose scale is finite, in order
};

// y[n] from row n's lane sums of (x + 128) . W[n]: the offset's share removed, then scaled.
inline void finish_row(const Int8Rows& W, int64_t n, const int32_t* lanes, int lane_count, float sx,
                       float beta, float* y) {
  int32_t dot = -128 * W.row_sums[n];
  for (int i = 0; i < lane_count; ++i) dot += lanes[i];
  // The add written as one fma: left to the compiler, its contraction would differ between the
  // kernels' instruction sets and so would the last bit.
  const float scaled = W.scales[n] * sx * static_cast<float>(dot);
  y[n] = beta == 0.0f ? scaled : std::fma(beta, y[n], scaled);
}

#if defined(__x86_64__)
// finish_row for the kRows = 8 rows of a whole block from their lane sums folded to 8 lanes each,
// with the same operations in the same order on 8 rows at once, so the same bits: a scalar
// horizontal sum per output cost more than its dot product once a step decodes several rows.
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void finish_block(
    const Int8Rows& W, int64_t n0, const __m256i (&s)[8], float sx, float beta, float* y) {
  static_assert(kRows == 8);
  // hadd pairs lanes within each 128-bit half: two rounds leave rows 0-3 (then 4-7) summed over
  // lanes 0-3 in the low half and over lanes 4-7 in the high half.
  const __m256i s0123 =
      _mm256_hadd_epi32(_mm256_hadd_epi32(s[0], s[1]), _mm256_hadd_epi32(s[2], s[3]));
  const __m256i s4567 =
      _mm256_hadd_epi32(_mm256_hadd_epi32(s[4], s[5]), _mm256_hadd_epi32(s[6], s[7]));
  __m256i dot = _mm256_add_epi32(_mm256_permute2x128_si256(s0123, s4567, 0x20),
                                 _mm256_permute2x128_si256(s0123, s4567, 0x31));
  const __m256i row_sums =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(W.row_sums.data() + n0));
  dot = _mm256_sub_epi32(dot, _mm256_slli_epi32(row_sums, 7));
  const __m256 scale = _mm256_mul_ps(_mm256_loadu_ps(W.scales.data() + n0), _mm256_set1_ps(sx));
  const __m256 scaled = _mm256_mul_ps(scale, _mm256_cvtepi32_ps(dot));
  _mm256_storeu_ps(y + n0, beta == 0.0f ? scaled
                                        : _mm256_fmadd_ps(_mm256_set1_ps(beta),
                                                          _mm256_loadu_ps(y + n0), scaled));
}

// A whole block of kRows weight rows for G rows of x at once (x.finite[i, i + G)): each weight
// vector loaded once feeds G products, and G * kRows independent sums hide vpdpbusd's latency.
template <int G>
[[gnu::target("avx512f,avx512bw,avx512vnni,fma"), gnu::always_inline]] inline void vnni_block(
    const Int8Rows& W, int64_t n0, const QuantizedRows& x, size_t i, float beta, float* Y,
    int64_t ldy) {
  const int8_t* w = W.values.data() + n0 * W.ld;
  const uint8_t* xq[G];
  for (int g = 0; g < G; ++g) xq[g] = x.values.data() + x.finite[i + g] * W.ld;
  __m512i acc[G][kRows];
  for (int g = 0; g < G; ++g)
    for (int64_t r = 0; r < kRows; ++r) acc[g][r] = _mm512_setzero_si512();
  for (int64_t k = 0; k < W.ld; k += 64) {
    __m512i xv[G];
    for (int g = 0; g < G; ++g) xv[g] = _mm512_loadu_si512(xq[g] + k);
    for (int64_t r = 0; r < kRows; ++r) {
      const __m512i wv = _mm512_loadu_si512(w + r * W.ld + k);
      for (int g = 0; g < G; ++g) acc[g][r] = _mm512_dpbusd_epi32(acc[g][r], xv[g], wv);
    }
  }
  for (int g = 0; g < G; ++g) {
    __m256i halves[kRows];
    for (int64_t r = 0; r < kRows; ++r)
      halves[r] = _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0xff, acc[g][r], 0),
                                   _mm512_maskz_extracti64x4_epi64(0xff, acc[g][r], 1));
    const size_t m = x.finite[i + g];
    finish_block(W, n0, halves, x.scales[m], beta, Y + m * ldy);
  }
}

// The blocks [b0, b1) of kRows weight rows, for each row of x whose scale is finite: a block's
// weights come from memory for the first rows and from L1 for the others.
[[gnu::target("avx512f,avx512bw,avx512vnni,fma")]] void vnni_blocks(int64_t b0, int64_t b1,
                                                                    const Int8Rows& W,
                                                                    const QuantizedRows& x,
                                                                    float beta, float* Y,
                                                                    int64_t ldy) {
  const size_t rows_of_x = x.finite.size();
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t n0 = b * kRows, rows = std::min(kRows, W.rows - n0);
    if (rows == kRows) {
      size_t i = 0;
      for (; i + 2 <= rows_of_x; i += 2) vnni_block<2>(W, n0, x, i, beta, Y, ldy);
      if (i < rows_of_x) vnni_block<1>(W, n0, x, i, beta, Y, ldy);
      continue;
    }
    const int8_t* w = W.values.data() + n0 * W.ld;
    for (const size_t m : x.finite) {
      const uint8_t* xq = x.values.data() + m * W.ld;
      __m512i acc[kRows];
      for (int64_t r = 0; r < rows; ++r) acc[r] = _mm512_setzero_si512();
      for (int64_t k = 0; k < W.ld; k += 64) {
        const __m512i xv = _mm512_loadu_si512(xq + k);
        for (int64_t r = 0; r < rows; ++r)
          acc[r] = _mm512_dpbusd_epi32(acc[r], xv, _mm512_loadu_si512(w + r * W.ld + k));
      }
      for (int64_t r = 0; r < rows; ++r) {
        // Summed through memory: GCC 12 warns about _mm512_reduce_add_epi32's undefined operand.
        alignas(64) int32_t lanes[16];
        _mm512_store_si512(lanes, acc[r]);
        finish_row(W, n0 + r, lanes, 16, x.scales[m], beta, Y + m * ldy);
      }
    }
  }
}

// The same on 256-bit registers with AVX-VNNI's VEX vpdpbusd (CPUs without AVX-512): the int32
// sums are exact either way, so the results equal vnni_blocks' bit for bit.
[[gnu::target("avx2,fma,avxvnni")]] void avx_vnni_blocks(int64_t b0, int64_t b1, const Int8Rows& W,
                                                         const QuantizedRows& x, float beta,
                                                         float* Y, int64_t ldy) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t n0 = b * kRows, rows = std::min(kRows, W.rows - n0);
    const int8_t* w = W.values.data() + n0 * W.ld;
    for (const size_t m : x.finite) {
      const uint8_t* xq = x.values.data() + m * W.ld;
      __m256i acc[kRows];
      for (int64_t r = 0; r < kRows; ++r) acc[r] = _mm256_setzero_si256();
      if (rows == kRows) {
        for (int64_t k = 0; k < W.ld; k += 32) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + k));
          for (int64_t r = 0; r < kRows; ++r)
            acc[r] = _mm256_dpbusd_avx_epi32(
                acc[r], xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * W.ld + k)));
        }
      } else {
        for (int64_t k = 0; k < W.ld; k += 32) {
          const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq + k));
          for (int64_t r = 0; r < rows; ++r)
            acc[r] = _mm256_dpbusd_avx_epi32(
                acc[r], xv, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + r * W.ld + k)));
        }
      }
      if (rows == kRows) {
        finish_block(W, n0, acc, x.scales[m], beta, Y + m * ldy);
        continue;
      }
      for (int64_t r = 0; r < rows; ++r) {
        alignas(32) int32_t lanes[8];
        _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[r]);
        finish_row(W, n0 + r, lanes, 8, x.scales[m], beta, Y + m * ldy);
      }
    }
  }
}
#endif

void widened(const Int8Rows& W, int64_t M, const float* X, int64_t ldx, float beta, float* Y,
             int64_t ldy) {
  int8_widened(W.rows, W.cols, W.values.data(), W.ld, W.scales.data(), M, X, ldx, beta, Y, ldy);
}

}  // namespace

bool int8_kernel_supported(Int8Kernel kernel) {
  switch (kernel) {
    case Int8Kernel::Vnni:
      return cpu_has_vnni();
    case Int8Kernel::AvxVnni:
      return cpu_has_avx_vnni();
    case Int8Kernel::Widened:
      break;
  }
  return true;
}

Int8Kernel int8_kernel() {
  const CpuPath path = cpu_path();
  if (path == CpuPath::Avx512 && cpu_has_vnni()) return Int8Kernel::Vnni;
  if (path != CpuPath::Baseline && cpu_has_avx_vnni()) return Int8Kernel::AvxVnni;
  return Int8Kernel::Widened;
}

void int8(const Int8Rows& W, int64_t M, const float* X, int64_t ldx, float beta, float* Y,
          int64_t ldy) {
  int8(int8_kernel(), W, M, X, ldx, beta, Y, ldy);
}

void int8(Int8Kernel kernel, const Int8Rows& W, const float* x, float beta, float* y) {
  int8(kernel, W, 1, x, W.cols, beta, y, W.rows);
}

void int8(Int8Kernel kernel, const Int8Rows& W, int64_t M, const float* X, int64_t ldx, float beta,
          float* Y, int64_t ldy) {
  if (!int8_kernel_supported(kernel))
    throw Error(kernel == Int8Kernel::Vnni ? "the VNNI int8 kernel needs AVX512_VNNI"
                                           : "the AVX-VNNI int8 kernel needs AVX-VNNI");
#if defined(__x86_64__)
  if (kernel != Int8Kernel::Widened && W.ld <= kMaxVnniCols) {
    thread_local QuantizedRows buffer;
    // Named outside the lambda: there, `buffer` would be each worker thread's own, empty one.
    QuantizedRows& xq = buffer;
    xq.values.resize(static_cast<size_t>(M * W.ld));
    xq.scales.resize(static_cast<size_t>(M));
    xq.finite.clear();
    for (int64_t m = 0; m < M; ++m) {
      const float sx = vec::dispatch<quantize_activations>(X + m * ldx, W.cols, W.ld,
                                                           xq.values.data() + m * W.ld);
      xq.scales[static_cast<size_t>(m)] = sx;
      if (!std::isnan(sx)) xq.finite.push_back(static_cast<size_t>(m));
    }
    over_blocks(W.rows, W.cols, [&](int64_t b0, int64_t b1) {
      if (kernel == Int8Kernel::Vnni)
        vnni_blocks(b0, b1, W, xq, beta, Y, ldy);
      else
        avx_vnni_blocks(b0, b1, W, xq, beta, Y, ldy);
    });
    // A non-finite row has no int8 scale; the widened product carries its NaN or inf to y.
    for (int64_t m = 0; m < M; ++m)
      if (std::isnan(xq.scales[static_cast<size_t>(m)]))
        widened(W, 1, X + m * ldx, ldx, beta, Y + m * ldy, ldy);
    return;
  }
#endif
  widened(W, M, X, ldx, beta, Y, ldy);
}

}  // namespace rnnkit::gemv
