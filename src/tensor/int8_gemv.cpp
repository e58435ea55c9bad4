#include "tensor/int8_gemv.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "tensor/gemv.h"
#include "tensor/gemv_blocks.h"

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
// matrix's row stride (the padding weights are zero). Returns sx, or NaN where x is not finite.
float quantize_activations(const float* x, int64_t K, int64_t ld, std::vector<uint8_t>& out) {
  float max_abs = 0.0f;
  bool finite = true;
  for (int64_t k = 0; k < K; ++k) {
    finite &= std::isfinite(x[k]);
    max_abs = std::max(max_abs, std::fabs(x[k]));
  }
  if (!finite) return NAN;
  out.assign(static_cast<size_t>(ld), 128);
  if (max_abs == 0.0f) return 0.0f;
  const float sx = max_abs / 127.0f, inverse = 127.0f / max_abs;
  for (int64_t k = 0; k < K; ++k) {
    const float v = std::nearbyint(x[k] * inverse);
    out[k] = static_cast<uint8_t>(std::fmax(-127.0f, std::fmin(127.0f, v)) + 128.0f);
  }
  return sx;
}

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
[[gnu::target("avx512f,avx512bw,avx512vnni")]] void vnni_blocks(int64_t b0, int64_t b1,
                                                                const Int8Rows& W,
                                                                const uint8_t* xq, float sx,
                                                                float beta, float* y) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t n0 = b * kRows, rows = std::min(kRows, W.rows - n0);
    const int8_t* w = W.values.data() + n0 * W.ld;
    __m512i acc[kRows];
    for (int64_t r = 0; r < kRows; ++r) acc[r] = _mm512_setzero_si512();
    if (rows == kRows) {
      for (int64_t k = 0; k < W.ld; k += 64) {
        const __m512i xv = _mm512_loadu_si512(xq + k);
        for (int64_t r = 0; r < kRows; ++r)
          acc[r] = _mm512_dpbusd_epi32(acc[r], xv, _mm512_loadu_si512(w + r * W.ld + k));
      }
    } else {
      for (int64_t k = 0; k < W.ld; k += 64) {
        const __m512i xv = _mm512_loadu_si512(xq + k);
        for (int64_t r = 0; r < rows; ++r)
          acc[r] = _mm512_dpbusd_epi32(acc[r], xv, _mm512_loadu_si512(w + r * W.ld + k));
      }
    }
    for (int64_t r = 0; r < rows; ++r) {
      // Summed through memory: GCC 12 warns about _mm512_reduce_add_epi32's undefined operand.
      alignas(64) int32_t lanes[16];
      _mm512_store_si512(lanes, acc[r]);
      finish_row(W, n0 + r, lanes, 16, sx, beta, y);
    }
  }
}

// The same on 256-bit registers with AVX-VNNI's VEX vpdpbusd (CPUs without AVX-512): the int32
// sums are exact either way, so the results equal vnni_blocks' bit for bit.
[[gnu::target("avx2,fma,avxvnni")]] void avx_vnni_blocks(int64_t b0, int64_t b1, const Int8Rows& W,
                                                         const uint8_t* xq, float sx, float beta,
                                                         float* y) {
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t n0 = b * kRows, rows = std::min(kRows, W.rows - n0);
    const int8_t* w = W.values.data() + n0 * W.ld;
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
    for (int64_t r = 0; r < rows; ++r) {
      alignas(32) int32_t lanes[8];
      _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), acc[r]);
      finish_row(W, n0 + r, lanes, 8, sx, beta, y);
    }
  }
}
#endif

void widened(const Int8Rows& W, const float* x, float beta, float* y) {
  int8_widened(W.rows, W.cols, W.values.data(), W.ld, W.scales.data(), x, beta, y);
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

void int8(const Int8Rows& W, const float* x, float beta, float* y) {
  int8(int8_kernel(), W, x, beta, y);
}

void int8(Int8Kernel kernel, const Int8Rows& W, const float* x, float beta, float* y) {
  if (!int8_kernel_supported(kernel))
    throw Error(kernel == Int8Kernel::Vnni ? "the VNNI int8 kernel needs AVX512_VNNI"
                                           : "the AVX-VNNI int8 kernel needs AVX-VNNI");
#if defined(__x86_64__)
  if (kernel != Int8Kernel::Widened && W.ld <= kMaxVnniCols) {
    thread_local std::vector<uint8_t> buffer;  // the calling thread's; its threads read xq
    const float sx = quantize_activations(x, W.cols, W.ld, buffer);
    const uint8_t* xq = buffer.data();
    // A non-finite x has no int8 scale; the widened product carries its NaN or inf to y.
    if (!std::isnan(sx)) {
      over_blocks(W.rows, W.cols, [&](int64_t b0, int64_t b1) {
        if (kernel == Int8Kernel::Vnni)
          vnni_blocks(b0, b1, W, xq, sx, beta, y);
        else
          avx_vnni_blocks(b0, b1, W, xq, sx, beta, y);
      });
      return;
    }
  }
#endif
  widened(W, x, beta, y);
}

}  // namespace rnnkit::gemv
