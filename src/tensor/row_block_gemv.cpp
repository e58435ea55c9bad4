#include "tensor/row_block_gemv.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <string>
#include <type_traits>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "tensor/thread_share.h"

namespace rnnkit::row_block_gemv {
namespace {

// Weight rows per block: eight accumulation chains per input row hide the FMA latency.
constexpr int64_t kWeightRows = 8;
// Input rows per pass over a block: 8 x 3 accumulators, 3 input vectors and a weight vector fit
// the 32 vector registers; the block's weights stay in L1 between passes.
constexpr int kInputRows = 3;
// From 512 KB of float32 weights on, each core streams its own share of the weight rows.
constexpr int64_t kParallel = 1 << 17;

// The baseline path: one output in one compiled function, called for every output whatever M
// is, so its bits cannot depend on the batch. Sixteen independent lanes let the compiler
// vectorise it without reassociating a sum.
template <typename Weight>
[[gnu::noinline]] float dot(const Weight* w, const float* x, int64_t K) {
  constexpr int64_t kLanes = 16;
  auto widen = [](Weight v) {
    if constexpr (std::is_same_v<Weight, float>)
      return v;
    else
      return from_bf16(v);
  };
  float lanes[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) lanes[j] += widen(w[k + j]) * x[k + j];
  }
  for (int64_t j = 0; k + j < K; ++j) lanes[j] += widen(w[k + j]) * x[k + j];
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}

template <typename Weight>
void rows_baseline(int64_t n0, int64_t n1, int64_t M, int64_t K, const Weight* W, const float* X,
                   int64_t ldx, float beta, float* Y, int64_t ldy) {
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      float& y = Y[m * ldy + n];
      y = dot(W + n * K, X + m * ldx, K) + (beta == 0.0f ? 0.0f : beta * y);
    }
  }
}

#if defined(__x86_64__)
// 16 weights widened to float32 (the last chunk of a row masked to its length).
[[gnu::target("avx512f,avx512bw,avx512vl"), gnu::always_inline]] inline __m512 load16(
    const rnnkit::bf16* w, __mmask16 mask) {
  const __m256i w16 = _mm256_maskz_loadu_epi16(mask, w);
  const __m512i widened = _mm512_maskz_cvtepu16_epi32(0xffff, w16);
  return _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, widened, 16));
}

// The 16 x 16 transpose of v[0..15]: t[j] holds lane j of every v.
[[gnu::target("avx512f"), gnu::always_inline]] inline void transpose16(const __m512 v[16],
                                                                       __m512 t[16]) {
  // The masked forms with every lane set: the plain ones start from an undefined register,
  // which GCC 12 reports as used uninitialized.
  constexpr __mmask16 kAll = 0xffff;
  __m512 b[16], c[16];
  // Pairs of rows interleaved, then pairs of pairs: c[4i + e] holds, in 128-bit block q,
  // element 4q + e of rows 4i .. 4i + 3.
  for (int i = 0; i < 8; ++i) {
    b[2 * i] = _mm512_maskz_unpacklo_ps(kAll, v[2 * i], v[2 * i + 1]);
    b[2 * i + 1] = _mm512_maskz_unpackhi_ps(kAll, v[2 * i], v[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d lo = _mm512_castps_pd(b[4 * i]), hi = _mm512_castps_pd(b[4 * i + 1]);
    const __m512d lo2 = _mm512_castps_pd(b[4 * i + 2]), hi2 = _mm512_castps_pd(b[4 * i + 3]);
    c[4 * i] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(0xff, lo, lo2));
    c[4 * i + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(0xff, lo, lo2));
    c[4 * i + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(0xff, hi, hi2));
    c[4 * i + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(0xff, hi, hi2));
  }
  // Then the 4 x 4 transpose of 128-bit blocks for each e.
  for (int e = 0; e < 4; ++e) {
    const __m512 d0 = _mm512_maskz_shuffle_f32x4(kAll, c[e], c[4 + e], 0x44);
    const __m512 d1 = _mm512_maskz_shuffle_f32x4(kAll, c[e], c[4 + e], 0xEE);
    const __m512 d2 = _mm512_maskz_shuffle_f32x4(kAll, c[8 + e], c[12 + e], 0x44);
    const __m512 d3 = _mm512_maskz_shuffle_f32x4(kAll, c[8 + e], c[12 + e], 0xEE);
    t[e] = _mm512_maskz_shuffle_f32x4(kAll, d0, d2, 0x88);
    t[4 + e] = _mm512_maskz_shuffle_f32x4(kAll, d0, d2, 0xDD);
    t[8 + e] = _mm512_maskz_shuffle_f32x4(kAll, d1, d3, 0x88);
    t[12 + e] = _mm512_maskz_shuffle_f32x4(kAll, d1, d3, 0xDD);
  }
}

// sums[i] = the lanes of v[i] summed in lane order from 0, for i < n <= 16: the sums of 16
// accumulators at once (a transpose, then 16 vector additions), in the order of a scalar loop
// over the lanes, so a row's outputs do not depend on which accumulators share the call.
[[gnu::target("avx512f")]] void lane_sums(const __m512* v, int n, float* sums) {
  __m512 rows[16], t[16];
  for (int i = 0; i < 16; ++i) rows[i] = i < n ? v[i] : _mm512_setzero_ps();
  transpose16(rows, t);
  __m512 sum = _mm512_setzero_ps();
  for (int j = 0; j < 16; ++j) sum = _mm512_add_ps(sum, t[j]);
  alignas(64) float all[16];
  _mm512_store_ps(all, sum);
  for (int i = 0; i < n; ++i) sums[i] = all[i];
}

// One chunk of 16 k (the last one masked to K): acc[r][m] += W[n0 + r, k..] * X[m0 + m, k..].
template <int R, int MG, typename Weight>
[[gnu::target("avx512f,avx512bw,avx512vl"), gnu::always_inline]] inline void accumulate16(
    __m512 (&acc)[R][MG], int64_t n0, int64_t m0, int64_t K, int64_t k, __mmask16 mask,
    const Weight* W, const float* X, int64_t ldx, const Weight* next) {
  __m512 x[MG];
#pragma GCC unroll 3
  for (int m = 0; m < MG; ++m) x[m] = _mm512_maskz_loadu_ps(mask, X + (m0 + m) * ldx + k);
  if (next) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
      _mm_prefetch(reinterpret_cast<const char*>(next + r * K + k), _MM_HINT_T0);
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    const __m512 w = load16(W + (n0 + r) * K + k, mask);
#pragma GCC unroll 3
    for (int m = 0; m < MG; ++m) acc[r][m] = _mm512_fmadd_ps(w, x[m], acc[r][m]);
  }
}

// Outputs [n0, n0 + R) of input rows [m0, m0 + MG): each output's chain is lane-wise FMAs over
// k in chunks of 16, then the lanes summed in order, the same instructions for any R, MG and M.
// The loops over r and m are unrolled whole so the accumulators live in registers.
// `next`: the next block's weights, fetched into the cache meanwhile (the step is bound by
// reading the weights, and the loads of this block stall on memory otherwise), or null.
template <int R, int MG, typename Weight>
[[gnu::target("avx512f,avx512bw,avx512vl")]] void block_avx512(int64_t n0, int64_t m0, int64_t K,
                                                               const Weight* W, const float* X,
                                                               int64_t ldx, float beta, float* Y,
                                                               int64_t ldy, const Weight* next) {
  __m512 acc[R][MG];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
    for (int m = 0; m < MG; ++m) acc[r][m] = _mm512_setzero_ps();
  int64_t k = 0;
  for (; k + 16 <= K; k += 16)
    accumulate16<R, MG>(acc, n0, m0, K, k, __mmask16(0xffff), W, X, ldx, next);
  if (k < K)
    accumulate16<R, MG>(acc, n0, m0, K, k, static_cast<__mmask16>((1u << (K - k)) - 1), W, X, ldx,
                        next);
  __m512 flat[R * MG];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 3
    for (int m = 0; m < MG; ++m) flat[r * MG + m] = acc[r][m];
  float sums[R * MG];
  for (int i = 0; i < R * MG; i += 16) lane_sums(flat + i, std::min(16, R * MG - i), sums + i);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 3
    for (int m = 0; m < MG; ++m) {
      float& y = Y[(m0 + m) * ldy + n0 + r];
      y = sums[r * MG + m] + (beta == 0.0f ? 0.0f : beta * y);
    }
  }
}

template <int R, typename Weight>
[[gnu::target("avx512f,avx512bw,avx512vl")]] void input_rows_avx512(
    int64_t n0, int64_t M, int64_t K, const Weight* W, const float* X, int64_t ldx, float beta,
    float* Y, int64_t ldy, const Weight* next) {
  int64_t m0 = 0;
  static_assert(kInputRows == 3, "the remainders below are 2 and 1");
  // The first pass over the block brings it from memory; it also fetches the next one.
  for (; M - m0 >= kInputRows; m0 += kInputRows)
    block_avx512<R, kInputRows>(n0, m0, K, W, X, ldx, beta, Y, ldy, m0 == 0 ? next : nullptr);
  if (M - m0 == 2) block_avx512<R, 2>(n0, m0, K, W, X, ldx, beta, Y, ldy, m0 == 0 ? next : nullptr);
  if (M - m0 == 1) block_avx512<R, 1>(n0, m0, K, W, X, ldx, beta, Y, ldy, m0 == 0 ? next : nullptr);
}

template <typename Weight>
[[gnu::target("avx512f,avx512bw,avx512vl")]] void rows_avx512(int64_t n0, int64_t n1, int64_t M,
                                                              int64_t K, const Weight* W,
                                                              const float* X, int64_t ldx,
                                                              float beta, float* Y, int64_t ldy) {
  int64_t n = n0;
  for (; n1 - n >= kWeightRows; n += kWeightRows) {
    const Weight* next = n1 - n >= 2 * kWeightRows ? W + (n + kWeightRows) * K : nullptr;
    input_rows_avx512<kWeightRows>(n, M, K, W, X, ldx, beta, Y, ldy, next);
  }
  for (; n < n1; ++n)
    input_rows_avx512<1>(n, M, K, W, X, ldx, beta, Y, ldy, static_cast<const Weight*>(nullptr));
}
#endif

template <typename Weight>
void multiply(int64_t M, int64_t N, int64_t K, const Weight* W, const float* X, int64_t ldx,
              float beta, float* Y, int64_t ldy) {
  if (M < 0 || M > kMaxRows)
    throw Error("row_block_gemv: " + std::to_string(M) + " input rows, not 0.." +
                std::to_string(kMaxRows));
  // Weight rows [n0, n1); shares start on a block boundary so every row is in the same kind of
  // block whatever the thread count.
  auto rows = [&](int64_t n0, int64_t n1) {
#if defined(__x86_64__)
    // float32 on AVX-512 takes the panel kernel (SingleRowProduct), not this one.
    if constexpr (!std::is_same_v<Weight, float>)
      if (cpu_path() == CpuPath::Avx512) return rows_avx512(n0, n1, M, K, W, X, ldx, beta, Y, ldy);
#endif
    rows_baseline(n0, n1, M, K, W, X, ldx, beta, Y, ldy);
  };
  if (N * K < kParallel) {
    rows(0, N);
    return;
  }
  const int64_t blocks = (N + kWeightRows - 1) / kWeightRows;
#pragma omp parallel
  {
    const auto [b0, b1] = thread_share(blocks);
    rows(std::min(N, b0 * kWeightRows), std::min(N, b1 * kWeightRows));
  }
}

}  // namespace

void f32(int64_t M, int64_t N, int64_t K, const float* W, const float* X, int64_t ldx, float beta,
         float* Y, int64_t ldy) {
  multiply(M, N, K, W, X, ldx, beta, Y, ldy);
}

void bf16(int64_t M, int64_t N, int64_t K, const rnnkit::bf16* W, const float* X, int64_t ldx,
          float beta, float* Y, int64_t ldy) {
  multiply(M, N, K, W, X, ldx, beta, Y, ldy);
}

}  // namespace rnnkit::row_block_gemv
