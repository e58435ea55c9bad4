#pragma once
#include <cstdint>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace rnnkit::softmax_rows {

#if defined(__x86_64__)
// exp(a) for 16 arguments with vec::exp's range reduction, polynomial and rounding of n, scaled
// by 2^n with vscalefps (which takes any n, and rounds as vec::exp's multiply by the bits of 2^n
// where those are a float): a is already floored by the caller. The masked scalef: GCC 12 warns
// about the plain one's undefined operand.
[[gnu::target("avx512f")]] inline __m512 exp_floored_avx512(__m512 a) {
  const __m512 round_magic = _mm512_set1_ps(12582912.0f);
  const __m512 n = _mm512_sub_ps(
      _mm512_fmadd_ps(a, _mm512_set1_ps(1.44269504088896341f), round_magic), round_magic);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693145751953125f), a);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(1.428606765330187045e-06f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  for (float c : {1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f})
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(c));
  return _mm512_maskz_scalef_ps(0xffff, p, n);
}

// exp(a) for 8 arguments of at most 88 on the AVX2 path, with vec::exp's arithmetic and its floor:
// a is raised to -87 (so n >= -126; a NaN, vmaxps's second operand, passes), and the result scaled
// by the bits of 2^n, so every term is vec::exp's, bit for bit.
[[gnu::target("avx2,fma")]] inline __m256 exp_avx2(__m256 a) {
  a = _mm256_max_ps(_mm256_set1_ps(-87.0f), a);
  const __m256 round_magic = _mm256_set1_ps(12582912.0f);
  const __m256 n = _mm256_sub_ps(
      _mm256_fmadd_ps(a, _mm256_set1_ps(1.44269504088896341f), round_magic), round_magic);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), a);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.428606765330187045e-06f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  for (float c : {1.0f / 120.0f, 1.0f / 24.0f, 1.0f / 6.0f, 0.5f, 1.0f, 1.0f})
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(c));
  const __m256i two_to_n =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(two_to_n));
}
#endif

// out[v] = exp(x[v] - shift) for v < V with vec::exp's arithmetic, returning their sum: the
// exponentials of a softmax row whose largest element is shift (every x[v] - shift <= 0, or NaN).
// out may alias x, or be null for the sum alone (the same sum). On the AVX-512 and AVX2 paths a
// hand-written loop, bit for bit exp_row_compiled's terms and sum in an optimized build; on the
// baseline path exp_row_compiled.
float exp_row(const float* x, int64_t V, float shift, float* out);

// The same loop as the compiler vectorises it (#pragma omp simd) for cpu_path().
float exp_row_compiled(const float* x, int64_t V, float shift, float* out);

}  // namespace rnnkit::softmax_rows
