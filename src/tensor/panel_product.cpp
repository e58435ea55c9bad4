#include "tensor/panel_product.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "rnnkit/threads.h"
#include "tensor/thread_share.h"

namespace rnnkit::panel_product {
namespace {

constexpr int kRows = 8;
constexpr int kVectors = kPanelColumns / 16;
// From about 2 MFLOP (10 microseconds on one core) on, a second thread is worth waking; and
// from 512 KB of weights on (a row or a few of generation: bound by reading them), the second
// core's bandwidth is.
constexpr int64_t kParallelMacs = int64_t{1} << 20;
constexpr int64_t kParallelWeights = int64_t{1} << 17;

int64_t panel_count(int64_t N) {
  return (N + kPanelColumns - 1) / kPanelColumns;
}

#if defined(__x86_64__)
// The NV vectors of one k of a panel, as float32.
template <int NV>
[[gnu::target("avx512f"), gnu::always_inline]] inline void load_panel_row(const float* p,
                                                                          __m512 (&b)[NV]) {
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) b[v] = _mm512_loadu_ps(p + 16 * v);
}
// A bfloat16 panel's k holds columns j and 16 + j side by side (pack_bf16): one load, then a
// shift widens the even halves (columns 0..15) and a mask the odd ones (16..31), exactly.
template <int NV>
[[gnu::target("avx512f"), gnu::always_inline]] inline void load_panel_row(const bf16* p,
                                                                          __m512 (&b)[NV]) {
  const __m512i pairs = _mm512_loadu_si512(p);
  // The masked forms with every lane set: GCC 12 warns about the plain ones' undefined operand.
  b[0] = _mm512_castsi512_ps(_mm512_maskz_slli_epi32(0xffff, pairs, 16));
  if constexpr (NV == 2)
    b[1] = _mm512_castsi512_ps(
        _mm512_maskz_and_epi32(0xffff, pairs, _mm512_set1_epi32(static_cast<int>(0xffff0000u))));
}

// C[MR rows, 16 * NV columns (the last vector masked to `last`)] of one panel; beta scales the
// rows that in points to (MR row pointers at this panel's first column: C's own, or elsewhere).
template <int MR, int NV, typename Panel>
[[gnu::target("avx512f")]] void block(int64_t K, const float* A, int64_t lda, const Panel* panel,
                                      float beta, const float* const* in, float* C, int64_t ldc,
                                      __mmask16 last) {
  __m512 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      acc[r][v] = _mm512_setzero_ps();
      // The C that beta reads (a step's slice of the gates: from L3) arrives during the k loop.
      if (beta != 0.0f) _mm_prefetch(reinterpret_cast<const char*>(in[r] + 16 * v), _MM_HINT_T0);
    }
  for (int64_t k = 0; k < K; ++k) {
    __m512 b[NV];
    load_panel_row(panel + k * kPanelColumns, b);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(A[r * lda + k]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
  const __m512 scale = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = v == NV - 1 ? last : __mmask16(0xffff);
      float* c = C + r * ldc + 16 * v;
      __m512 out = acc[r][v];
      if (beta != 0.0f)
        out = _mm512_add_ps(out, _mm512_mul_ps(scale, _mm512_maskz_loadu_ps(mask, in[r] + 16 * v)));
      _mm512_mask_storeu_ps(c, mask, out);
    }
  }
}

// c_rows: M row pointers that beta reads instead of C's rows (when not null), column j0 on.
template <int NV, typename Panel>
void rows_of_panel(int64_t M, int64_t K, const float* A, int64_t lda, const Panel* panel,
                   float beta, const float* const* c_rows, int64_t j0, float* C, int64_t ldc,
                   __mmask16 last) {
  using Block = void (*)(int64_t, const float*, int64_t, const Panel*, float, const float* const*,
                         float*, int64_t, __mmask16);
  static constexpr Block blocks[kRows] = {
      block<1, NV, Panel>, block<2, NV, Panel>, block<3, NV, Panel>, block<4, NV, Panel>,
      block<5, NV, Panel>, block<6, NV, Panel>, block<7, NV, Panel>, block<8, NV, Panel>};
  for (int64_t m0 = 0; m0 < M; m0 += kRows) {
    const int64_t rows = std::min<int64_t>(kRows, M - m0);
    const float* in[kRows];
    for (int64_t r = 0; r < rows; ++r) in[r] = c_rows ? c_rows[m0 + r] + j0 : C + (m0 + r) * ldc;
    blocks[rows - 1](K, A + m0 * lda, lda, panel, beta, in, C + m0 * ldc, ldc, last);
  }
}

// Panels [p0, p1): each panel's columns for all rows while it is in the cache.
template <typename Panel>
void panels_range(int64_t p0, int64_t p1, int64_t M, int64_t N, int64_t K, const Panel* panels,
                  const float* A, int64_t lda, float beta, const float* const* c_rows, float* C,
                  int64_t ldc) {
  for (int64_t p = p0; p < p1; ++p) {
    const int64_t j0 = p * kPanelColumns, width = std::min(kPanelColumns, N - j0);
    const int vectors = static_cast<int>((width + 15) / 16);
    const int tail = static_cast<int>(width - 16 * (vectors - 1));
    const __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
    const Panel* panel = panels + p * K * kPanelColumns;
    float* c = C + j0;
    static_assert(kVectors == 2, "a panel is one or two vectors wide");
    if (vectors == 2)
      rows_of_panel<2>(M, K, A, lda, panel, beta, c_rows, j0, c, ldc, last);
    else
      rows_of_panel<1>(M, K, A, lda, panel, beta, c_rows, j0, c, ldc, last);
  }
}
#endif

template <typename Panel>
void multiply_panels(int64_t M, int64_t N, int64_t K, const Panel* panels, const float* A,
                     int64_t lda, float beta, float* C, int64_t ldc, const float* const* c_rows) {
#if defined(__x86_64__)
  if (!available()) throw Error("panel_product::multiply needs the AVX-512 path");
  if (M <= 0 || N <= 0) return;
  if (K == 0) {
    for (int64_t m = 0; m < M; ++m)
      for (int64_t j = 0; j < N; ++j) {
        const float c = c_rows ? c_rows[m][j] : C[m * ldc + j];
        C[m * ldc + j] = beta == 0.0f ? 0.0f : beta * c;
      }
    return;
  }
  const int64_t count = panel_count(N);
  const int threads = omp_in_parallel() ? 1 : num_threads();
  if (threads < 2 || count < 2 || (M * N * K < kParallelMacs && N * K < kParallelWeights)) {
    panels_range(0, count, M, N, K, panels, A, lda, beta, c_rows, C, ldc);
    return;
  }
#pragma omp parallel num_threads(threads)
  {
    const auto [p0, p1] = thread_share(count);
    panels_range(p0, p1, M, N, K, panels, A, lda, beta, c_rows, C, ldc);
  }
#else
  (void)M, (void)N, (void)K, (void)panels, (void)A, (void)lda, (void)beta, (void)C, (void)ldc,
      (void)c_rows;
  throw Error("panel_product::multiply needs the AVX-512 path");
#endif
}

}  // namespace

bool available() {
  return cpu_path() == CpuPath::Avx512;
}

bool suits(int64_t M, int64_t N, int64_t K) {
  return available() && M * N * K <= kMaxMultiplyAdds;
}

void pack(Trans trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
          std::vector<float>& panels) {
  panels.resize(static_cast<size_t>(panel_count(N) * K * kPanelColumns));
#pragma omp parallel for schedule(static) if (K * N >= (1 << 15) && !omp_in_parallel())
  for (int64_t j0 = 0; j0 < N; j0 += kPanelColumns) {
    const int64_t width = std::min(kPanelColumns, N - j0);
    float* panel = panels.data() + j0 * K;
    // Each source row read once, in order: a row of W (trans_b) is a column of the panel.
    if (trans_b == Trans::Yes) {
      for (int64_t j = 0; j < width; ++j) {
        const float* row = B + (j0 + j) * ldb;
        for (int64_t k = 0; k < K; ++k) panel[k * kPanelColumns + j] = row[k];
      }
    } else {
      for (int64_t k = 0; k < K; ++k)
        std::copy_n(B + k * ldb + j0, width, panel + k * kPanelColumns);
    }
    if (width < kPanelColumns)
      for (int64_t k = 0; k < K; ++k)
        std::fill(panel + k * kPanelColumns + width, panel + (k + 1) * kPanelColumns, 0.0f);
  }
}

void pack_bf16(int64_t K, int64_t N, const float* W, std::vector<bf16>& panels) {
  panels.assign(static_cast<size_t>(panel_count(N) * K * kPanelColumns), bf16{0});
#pragma omp parallel for schedule(static) if (K * N >= (1 << 15) && !omp_in_parallel())
  for (int64_t j0 = 0; j0 < N; j0 += kPanelColumns) {
    const int64_t width = std::min(kPanelColumns, N - j0);
    bf16* panel = panels.data() + j0 * K;
    for (int64_t j = 0; j < width; ++j) {
      const float* row = W + (j0 + j) * K;
      // Columns j and 16 + j side by side (load_panel_row).
      const int64_t slot = j < 16 ? 2 * j : 2 * (j - 16) + 1;
      for (int64_t k = 0; k < K; ++k) panel[k * kPanelColumns + slot] = to_bf16(row[k]);
    }
  }
}

void multiply(int64_t M, int64_t N, int64_t K, const float* panels, const float* A, int64_t lda,
              float beta, float* C, int64_t ldc, const float* const* c_rows) {
  multiply_panels(M, N, K, panels, A, lda, beta, C, ldc, c_rows);
}

void multiply(int64_t M, int64_t N, int64_t K, const bf16* panels, const float* A, int64_t lda,
              float beta, float* C, int64_t ldc) {
  multiply_panels(M, N, K, panels, A, lda, beta, C, ldc, nullptr);
}

}  // namespace rnnkit::panel_product
