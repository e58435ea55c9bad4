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
      int32_t dot = -128 * W.row_sums[n0 + r];
      for (int32_t lane : lanes) dot += lane;
      const int64_t n = n0 + r;
      y[n] = W.scales[n] * sx * static_cast<float>(dot) + (beta == 0.0f ? 0.0f : beta * y[n]);
    }
  }
}
#endif

void widened(const Int8Rows& W, const float* x, float beta, float* y) {
  int8_widened(W.rows, W.cols, W.values.data(), W.ld, W.scales.data(), x, beta, y);
}

}  // namespace

bool int8_kernel_supported(Int8Kernel kernel) {
  return kernel == Int8Kernel::Widened || cpu_has_vnni();
}

Int8Kernel int8_kernel() {
  return cpu_path() == CpuPath::Avx512 && cpu_has_vnni() ? Int8Kernel::Vnni : Int8Kernel::Widened;
}

void int8(const Int8Rows& W, const float* x, float beta, float* y) {
  int8(int8_kernel(), W, x, beta, y);
}

void int8(Int8Kernel kernel, const Int8Rows& W, const float* x, float beta, float* y) {
  if (!int8_kernel_supported(kernel)) throw Error("the VNNI int8 kernel needs AVX512_VNNI");
#if defined(__x86_64__)
  if (kernel == Int8Kernel::Vnni && W.ld <= kMaxVnniCols) {
    thread_local std::vector<uint8_t> buffer;  // the calling thread's; its threads read xq
    const float sx = quantize_activations(x, W.cols, W.ld, buffer);
    const uint8_t* xq = buffer.data();
    // A non-finite x has no int8 scale; the widened product carries its NaN or inf to y.
    if (!std::isnan(sx)) {
      over_blocks(W.rows, W.cols,
                  [&](int64_t b0, int64_t b1) { vnni_blocks(b0, b1, W, xq, sx, beta, y); });
      return;
    }
  }
#endif
  widened(W, x, beta, y);
}

}  // namespace rnnkit::gemv
