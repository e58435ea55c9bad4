#include "nn/row_exp.h"

#include <algorithm>

#include "rnnkit/cpu_dispatch.h"
#include "tensor/vector_kernel.h"

namespace rnnkit::softmax_rows {
namespace {

RNNKIT_VECTOR_KERNEL float exp_row_kernel(const float* x, int64_t V, float shift, float* out) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t v = 0; v < V; ++v) {
    const float e = vec::exp(x[v] - shift);
    out[v] = e;
    s += e;
  }
  return s;
}

RNNKIT_VECTOR_KERNEL float sum_exp_kernel(const float* x, int64_t V, float shift) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t v = 0; v < V; ++v) s += vec::exp(x[v] - shift);
  return s;
}

#if defined(__x86_64__)
// The end of a hand-written row, as the compiled loop ends: the tail's `count` terms (fewer than
// the kLanes lanes) stored to out when not null and added one by one into lane 0, then the lanes
// in turn.
template <int kLanes>
float row_sum(float (&lanes)[kLanes], const float (&terms)[kLanes], int64_t count, float* out) {
  for (int64_t k = 0; k < count; ++k) {
    if (out) out[k] = terms[k];
    lanes[0] += terms[k];
  }
  float total = 0.0f;
  for (float lane : lanes) total += lane;
  return total;
}

// GCC 12 compiles exp_row_kernel's AVX-512 loop to 30 instructions for 16 elements: vec::exp's two
// clamps become four compares and three blends around the polynomial. Here x - shift <= 0, so
// only the floor of -87 can bind: one maximum (NaN, the second operand, passes), then
// exp_floored_avx512 (n >= -126 here). The sum keeps the compiled loop's order: 16 lanes over the
// whole vectors, the tail's terms one by one into lane 0, then lanes 0 to 15 in turn: the same
// bits as the compiled loop where the compiler fuses its multiplies and adds (-O2 and above; at
// -O1, the sanitized build, it does not). (The masked max: GCC 12 warns about the plain one's
// undefined operand.)
[[gnu::target("avx512f")]] __m512 exp_terms(__m512 x, __m512 shift) {
  return exp_floored_avx512(
      _mm512_maskz_max_ps(0xffff, _mm512_set1_ps(-87.0f), _mm512_sub_ps(x, shift)));
}

[[gnu::target("avx512f")]] float exp_row_avx512(const float* x, int64_t V, float shift,
                                                float* out) {
  const __m512 shifts = _mm512_set1_ps(shift);
  __m512 sum = _mm512_setzero_ps();
  int64_t v = 0;
  for (; v + 16 <= V; v += 16) {
    const __m512 e = exp_terms(_mm512_loadu_ps(x + v), shifts);
    if (out) _mm512_storeu_ps(out + v, e);
    sum = _mm512_add_ps(sum, e);
  }
  alignas(64) float lanes[16], terms[16];
  _mm512_store_ps(lanes, sum);
  if (v < V) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (V - v)) - 1);
    _mm512_store_ps(terms, exp_terms(_mm512_maskz_loadu_ps(tail, x + v), shifts));
  }
  return row_sum(lanes, terms, V - v, out ? out + v : nullptr);
}

// The same on the AVX2 path, 8 lanes: exp_avx2 floors its argument itself.
[[gnu::target("avx2,fma")]] __m256 exp_terms(__m256 x, __m256 shift) {
  return exp_avx2(_mm256_sub_ps(x, shift));
}

[[gnu::target("avx2,fma")]] float exp_row_avx2(const float* x, int64_t V, float shift, float* out) {
  const __m256 shifts = _mm256_set1_ps(shift);
  __m256 sum = _mm256_setzero_ps();
  int64_t v = 0;
  for (; v + 8 <= V; v += 8) {
    const __m256 e = exp_terms(_mm256_loadu_ps(x + v), shifts);
    if (out) _mm256_storeu_ps(out + v, e);
    sum = _mm256_add_ps(sum, e);
  }
  alignas(32) float lanes[8], terms[8] = {};
  _mm256_store_ps(lanes, sum);
  if (v < V) {
    // The tail through a buffer: masked loads are microcoded on AMD cores.
    std::copy(x + v, x + V, terms);
    _mm256_store_ps(terms, exp_terms(_mm256_load_ps(terms), shifts));
  }
  return row_sum(lanes, terms, V - v, out ? out + v : nullptr);
}
#endif

}  // namespace

float exp_row_compiled(const float* x, int64_t V, float shift, float* out) {
  return out ? vec::dispatch<exp_row_kernel>(x, V, shift, out)
             : vec::dispatch<sum_exp_kernel>(x, V, shift);
}

float exp_row(const float* x, int64_t V, float shift, float* out) {
#if defined(__x86_64__)
  if (cpu_path() == CpuPath::Avx512) return exp_row_avx512(x, V, shift, out);
  if (cpu_path() == CpuPath::Avx2) return exp_row_avx2(x, V, shift, out);
#endif
  return exp_row_compiled(x, V, shift, out);
}

}  // namespace rnnkit::softmax_rows
