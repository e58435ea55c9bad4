#include "tensor/panel_product.h"

#include <immintrin.h>
#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "rnnkit/threads.h"
#include "tensor/row_ops.h"
#include "tensor/thread_share.h"

namespace rnnkit::panel_product {
namespace {

// Row blocks of up to kRows (8 x 32 accumulators: 16 registers), or of up to kTallRows (24
// registers) in products of kTallFrom rows or more: the fused loss's 128-row blocks ran faster in
// 12-row blocks, where the recurrent slices of 64 rows ran slightly slower (not recorded).
// The rows are split into blocks of even size: a short last block would wait on its FMAs' latency.
constexpr int kRows = 8, kTallRows = 12;
constexpr int64_t kTallFrom = 96;
constexpr int kVectors = kPanelColumns / 16;
// From about 2 MFLOP (10 microseconds on one core) on, a second thread is worth waking; and
// from 512 KB of weights on (a row or a few of generation: bound by reading them), the second
// core's bandwidth is.
constexpr int64_t kParallelMacs = int64_t{1} << 20;
constexpr int64_t kParallelWeights = int64_t{1} << 17;
// A thread's panels past prefetch_bytes() do not stay in its core's L2 cache from one product to
// the next: W_hh of PTB-medium (6.8 MB) comes from L3 at every step. Its first row block would
// stream each panel from L3 while the others find it in L2, so the row blocks of a product of few
// rows (below kTallFrom) prefetch the next panel into L2 instead, each block an even share of its
// k's: the streaming spreads over the whole panel's work (PTB-medium's 20 x 2600 x 650 on one
// thread ran faster; the products whose weights stay in L2 lost a few percent to the prefetches;
// not recorded). The AVX2 path's row blocks do the same: on a Zen 3 (512 KiB of L2) the poem
// model's 8-row decode step, its LSTM's weights 1 MiB a thread on two, ran faster (BENCHMARKS,
// "Twenty-sixth session"). The bound: the L2 cache's size as the C library reports it, at most
// 1 MiB (the bound measured on the AVX-512 hosts: 1 MiB of L2 on a Zen 4 or 5, 2 on the Intel
// host).
int64_t prefetch_bytes() {
  static const int64_t bytes = [] {
    constexpr int64_t kMost = int64_t{1} << 20;
    const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
    return l2 > 0 ? std::min<int64_t>(l2, kMost) : kMost;
  }();
  return bytes;
}

int64_t panel_count(int64_t N) {
  return (N + kPanelColumns - 1) / kPanelColumns;
}

// M rows in blocks of even size, at most kMost each: block(m0, rows, in) for each, in[r] pointing
// at the C that beta reads for row m0 + r (c_rows' row from column j0 when not null, else C's).
template <int kMost, typename Block>
void for_even_row_blocks(int64_t M, int64_t most, const float* const* c_rows, int64_t j0,
                         const float* C, int64_t ldc, Block&& block) {
  const int64_t count = (M + most - 1) / most;
  for (int64_t b = 0, m0 = 0; b < count; ++b) {
    const int64_t rows = M / count + (b < M % count ? 1 : 0);
    const float* in[kMost];
    for (int64_t r = 0; r < rows; ++r) in[r] = c_rows ? c_rows[m0 + r] + j0 : C + (m0 + r) * ldc;
    block(m0, rows, in);
    m0 += rows;
  }
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

// An int8 panel's k holds its 32 columns in order, widened exactly to float32 (the masked forms,
// as above).
template <int NV>
[[gnu::target("avx512f"), gnu::always_inline]] inline void load_panel_row(const int8_t* p,
                                                                          __m512 (&b)[NV]) {
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v)
    b[v] = _mm512_maskz_cvtepi32_ps(
        0xffff, _mm512_maskz_cvtepi8_epi32(
                    0xffff, _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * v))));
}

// A block's prefetch of the next panel (kAhead): one k's columns into L2 every `every` k's.
template <typename Panel>
[[gnu::always_inline]] inline void prefetch_ahead(int& countdown, int every, const Panel*& ahead) {
  if (--countdown != 0) return;
  countdown = every;
  _mm_prefetch(reinterpret_cast<const char*>(ahead), _MM_HINT_T1);
  if constexpr (sizeof(Panel) == 4)
    _mm_prefetch(reinterpret_cast<const char*>(ahead + 16), _MM_HINT_T1);
  ahead += kPanelColumns;
}

// C[MR rows, 16 * NV columns (the last vector masked to `last`)] of one panel; beta scales the
// rows that in points to (MR row pointers at this panel's first column: C's own, or elsewhere).
// An int8 panel's sums are first scaled by their columns' scales (at the panel's first column).
// kAhead: the block prefetches k's of the next panel into L2 from `ahead` on, one every `every`
// k's (its own instantiation: the 12-row blocks, their registers all taken, ran 3-4% slower with
// the test in their loop).
template <int MR, int NV, typename Panel, bool kAhead = false>
[[gnu::target("avx512f")]] void block(int64_t K, const float* A, int64_t lda, const Panel* panel,
                                      const float* scales, float beta, const float* const* in,
                                      float* C, int64_t ldc, __mmask16 last, const Panel* ahead,
                                      int every) {
  int countdown = 1;
  __m512 acc[MR][NV];
#pragma GCC unroll 12
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
    if constexpr (kAhead) prefetch_ahead(countdown, every, ahead);
#pragma GCC unroll 12
    for (int r = 0; r < MR; ++r) {
      const __m512 a = _mm512_set1_ps(A[r * lda + k]);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_fmadd_ps(a, b[v], acc[r][v]);
    }
  }
  // beta's term as an explicit FMA: written as a multiply and an add, GCC may fuse either
  // product into the add (an int8 sum's scaling too), and chose differently for different rows.
  const __m512 scale = _mm512_set1_ps(beta);
#pragma GCC unroll 12
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const __mmask16 mask = v == NV - 1 ? last : __mmask16(0xffff);
      float* c = C + r * ldc + 16 * v;
      __m512 out = acc[r][v];
      if constexpr (std::is_same_v<Panel, int8_t>)
        out = _mm512_mul_ps(_mm512_maskz_loadu_ps(mask, scales + 16 * v), out);
      if (beta != 0.0f)
        out = _mm512_fmadd_ps(scale, _mm512_maskz_loadu_ps(mask, in[r] + 16 * v), out);
      _mm512_mask_storeu_ps(c, mask, out);
    }
  }
}

// c_rows: M row pointers that beta reads instead of C's rows (when not null), column j0 on.
// ahead: the next panel, when it is to be prefetched (row block b of count takes the k's from
// b K / count on, one per count of its own k's).
template <int NV, typename Panel>
void rows_of_panel(int64_t M, int64_t K, const float* A, int64_t lda, const Panel* panel,
                   const float* scales, float beta, const float* const* c_rows, int64_t j0,
                   float* C, int64_t ldc, __mmask16 last, const Panel* ahead) {
  using Block = void (*)(int64_t, const float*, int64_t, const Panel*, const float*, float,
                         const float* const*, float*, int64_t, __mmask16, const Panel*, int);
  static constexpr Block blocks[kTallRows] = {
      block<1, NV, Panel>, block<2, NV, Panel>,  block<3, NV, Panel>,  block<4, NV, Panel>,
      block<5, NV, Panel>, block<6, NV, Panel>,  block<7, NV, Panel>,  block<8, NV, Panel>,
      block<9, NV, Panel>, block<10, NV, Panel>, block<11, NV, Panel>, block<12, NV, Panel>};
  static constexpr Block prefetching_blocks[kRows] = {
      block<1, NV, Panel, true>, block<2, NV, Panel, true>, block<3, NV, Panel, true>,
      block<4, NV, Panel, true>, block<5, NV, Panel, true>, block<6, NV, Panel, true>,
      block<7, NV, Panel, true>, block<8, NV, Panel, true>};
  const int64_t most = M >= kTallFrom ? kTallRows : kRows;
  const int count = static_cast<int>((M + most - 1) / most);
  int64_t b = 0;
  for_even_row_blocks<kTallRows>(
      M, most, c_rows, j0, C, ldc, [&](int64_t m0, int64_t rows, const float* const* in) {
        const Block run = ahead ? prefetching_blocks[rows - 1] : blocks[rows - 1];
        const Panel* share = ahead ? ahead + b++ * K / count * kPanelColumns : nullptr;
        run(K, A + m0 * lda, lda, panel, scales, beta, in, C + m0 * ldc, ldc, last, share, count);
      });
}

// The first column of accumulator g in pass h of a panel: a float32 panel's pass h takes its
// cache line h (columns 16h .. 16h + 15); a bfloat16 one's lanes pair column j with 16 + j, and
// an int8 one's follows the same order.
template <typename Panel>
constexpr int64_t half_column(int g, int h) {
  return std::is_same_v<Panel, float> ? 16 * h + 8 * g : 16 * g + 8 * h;
}

// The AVX2 path (eight floats a vector, 16 registers) takes a panel in two passes, each k's
// columns of pass h as two vectors.
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void load_half_row(const float* p, int h,
                                                                          __m256& b0, __m256& b1) {
  b0 = _mm256_loadu_ps(p + half_column<float>(0, h));
  b1 = _mm256_loadu_ps(p + half_column<float>(1, h));
}
// Slots 16h .. 16h + 15 of a bfloat16 panel's k (pack_bf16): each 32-bit lane holds column 8h + i
// in its low half and 16 + 8h + i in its high half.
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void load_half_row(const bf16* p, int h,
                                                                          __m256& b0, __m256& b1) {
  const __m256i pairs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 16 * h));
  b0 = _mm256_castsi256_ps(_mm256_slli_epi32(pairs, 16));
  b1 = _mm256_castsi256_ps(
      _mm256_and_si256(pairs, _mm256_set1_epi32(static_cast<int>(0xffff0000u))));
}

// Eight int8 weights widened exactly.
[[gnu::target("avx2,fma"), gnu::always_inline]] inline __m256 widen8(const int8_t* q) {
  return _mm256_cvtepi32_ps(
      _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q))));
}
// Columns 8h .. 8h + 7 and 16 + 8h .. 16 + 8h + 7 of an int8 panel's k.
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void load_half_row(const int8_t* p, int h,
                                                                          __m256& b0, __m256& b1) {
  b0 = widen8(p + half_column<int8_t>(0, h));
  b1 = widen8(p + half_column<int8_t>(1, h));
}

// The first count of 8 floats at p (mask: those lanes). Masked moves are microcoded on AMD cores,
// so full vectors go the plain way.
[[gnu::target("avx2,fma"), gnu::always_inline]] inline __m256 load_columns(const float* p,
                                                                           int64_t count,
                                                                           __m256i mask) {
  return count == 8 ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}
[[gnu::target("avx2,fma"), gnu::always_inline]] inline void store_columns(float* p, int64_t count,
                                                                          __m256i mask, __m256 v) {
  if (count == 8)
    _mm256_storeu_ps(p, v);
  else
    _mm256_maskstore_ps(p, mask, v);
}

// MR rows of P panels (K * kPanelColumns apart), of each its passes h0 .. h0 + H - 1 (two
// accumulators a row and pass): the same chain of FMAs per output as the AVX-512 block, so the
// same bits. The products of many rows take one pass of one panel at a time (H = P = 1), for all
// rows while that half is in L1; those of a row or a few whole panels, one row two at once (H = 2,
// P = 2: 8 accumulators), as one pass's two would wait on the FMAs' latency (generation's steps:
// int8 products twice as fast). width: the columns from the first panel's on.
// kAhead, ahead and every: as in the AVX-512 block.
template <int MR, int P, int H, typename Panel, bool kAhead = false>
[[gnu::target("avx2,fma")]] void block_avx2(int64_t K, const float* A, int64_t lda,
                                            const Panel* panel, int h0, const float* scales,
                                            float beta, const float* const* in, float* C,
                                            int64_t ldc, int64_t width, const Panel* ahead,
                                            int every) {
  const int64_t stride = K * kPanelColumns;
  int countdown = 1;
  __m256 acc[MR][P][H][2];
#pragma GCC unroll 6
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 2
    for (int q = 0; q < P; ++q)
#pragma GCC unroll 2
      for (int h = 0; h < H; ++h) acc[r][q][h][0] = acc[r][q][h][1] = _mm256_setzero_ps();
  for (int64_t k = 0; k < K; ++k) {
    if constexpr (kAhead) prefetch_ahead(countdown, every, ahead);
#pragma GCC unroll 2
    for (int q = 0; q < P; ++q)
#pragma GCC unroll 2
      for (int h = 0; h < H; ++h) {
        __m256 b0, b1;
        load_half_row(panel + q * stride + k * kPanelColumns, h0 + h, b0, b1);
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
          const __m256 a = _mm256_broadcast_ss(A + r * lda + k);
          acc[r][q][h][0] = _mm256_fmadd_ps(a, b0, acc[r][q][h][0]);
          acc[r][q][h][1] = _mm256_fmadd_ps(a, b1, acc[r][q][h][1]);
        }
      }
  }
  // beta's term as an explicit FMA, as in the AVX-512 block.
  const __m256 scale = _mm256_set1_ps(beta);
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  // Unrolled, so acc is indexed by constants only and stays in registers through the k loop.
#pragma GCC unroll 2
  for (int q = 0; q < P; ++q)
#pragma GCC unroll 2
    for (int h = 0; h < H; ++h)
#pragma GCC unroll 2
      for (int g = 0; g < 2; ++g) {
        const int64_t column = q * kPanelColumns + half_column<Panel>(g, h0 + h),
                      count = std::clamp<int64_t>(width - column, 0, 8);
        if (count == 0) continue;
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)), lanes);
#pragma GCC unroll 6
        for (int r = 0; r < MR; ++r) {
          __m256 out = acc[r][q][h][g];
          if constexpr (std::is_same_v<Panel, int8_t>)
            out = _mm256_mul_ps(load_columns(scales + column, count, mask), out);
          if (beta != 0.0f)
            out = _mm256_fmadd_ps(scale, load_columns(in[r] + column, count, mask), out);
          store_columns(C + r * ldc + column, count, mask, out);
        }
      }
}

// An instantiation of block_avx2, chosen by the rows it takes.
template <typename Panel>
using BlockAvx2 = void (*)(int64_t, const float*, int64_t, const Panel*, int, const float*, float,
                           const float* const*, float*, int64_t, int64_t, const Panel*, int);

// ahead: as in rows_of_panel, each pass's row blocks counted one after the other.
template <typename Panel>
void rows_of_panel_avx2(int64_t M, int64_t K, const float* A, int64_t lda, const Panel* panel,
                        const float* scales, float beta, const float* const* c_rows, int64_t j0,
                        float* C, int64_t ldc, int64_t width, const Panel* ahead) {
  using Block = BlockAvx2<Panel>;
  // Six rows: twelve accumulators, two weight vectors and a broadcast in 16 registers.
  constexpr int kRowsAvx2 = 6;
  static constexpr Block blocks[kRowsAvx2] = {
      block_avx2<1, 1, 1, Panel>, block_avx2<2, 1, 1, Panel>, block_avx2<3, 1, 1, Panel>,
      block_avx2<4, 1, 1, Panel>, block_avx2<5, 1, 1, Panel>, block_avx2<6, 1, 1, Panel>};
  static constexpr Block prefetching_blocks[kRowsAvx2] = {
      block_avx2<1, 1, 1, Panel, true>, block_avx2<2, 1, 1, Panel, true>,
      block_avx2<3, 1, 1, Panel, true>, block_avx2<4, 1, 1, Panel, true>,
      block_avx2<5, 1, 1, Panel, true>, block_avx2<6, 1, 1, Panel, true>};
  const int count = 2 * static_cast<int>((M + kRowsAvx2 - 1) / kRowsAvx2);
  int64_t b = 0;
  // The rows in blocks of even size: a short last block (two rows: four accumulators) would wait
  // on its FMAs' latency.
  // Each pass for all rows while its half of the panel is in L1.
  for (int h = 0; h < 2; ++h)
    for_even_row_blocks<kRowsAvx2>(
        M, kRowsAvx2, c_rows, j0, C, ldc, [&](int64_t m0, int64_t rows, const float* const* in) {
          const Block run = ahead ? prefetching_blocks[rows - 1] : blocks[rows - 1];
          const Panel* share = ahead ? ahead + b++ * K / count * kPanelColumns : nullptr;
          run(K, A + m0 * lda, lda, panel, h, scales, beta, in, C + m0 * ldc, ldc, width, share,
              count);
        });
}

// The AVX2 path's row blocks prefetch the next panel (prefetch_bytes) in products of up to two
// blocks a pass: with more, the first block's stream from L3 is a small part of a panel's work,
// and the d2l GRU's steps of 32 rows (16 a thread on two) were no faster with the prefetches, in
// some rounds slower (BENCHMARKS, "Twenty-sixth session").
constexpr int64_t kPrefetchRowsAvx2 = 12;

// Up to this many rows the AVX2 path takes whole panels (block_avx2): a row two panels at once,
// two or three rows one panel (8 accumulators, or 12).
constexpr int kFewRowsAvx2 = 3;
constexpr int kPanelsOfOneRow = 2;

// Panels [p0, p1) of a product of up to kFewRowsAvx2 rows; descending: from the last panel back
// (PanelOrder).
template <typename Panel>
void few_rows_avx2(int64_t p0, int64_t p1, int64_t M, int64_t N, int64_t K, const Panel* panels,
                   const float* scales, const float* A, int64_t lda, float beta,
                   const float* const* c_rows, float* C, int64_t ldc, bool descending) {
  using Block = BlockAvx2<Panel>;
  static constexpr Block one_panel[kFewRowsAvx2] = {
      block_avx2<1, 1, 2, Panel>, block_avx2<2, 1, 2, Panel>, block_avx2<3, 1, 2, Panel>};
  for (int64_t done = 0; done < p1 - p0;) {
    // A row's last panel, when their count is odd, goes alone.
    const int64_t group = M == 1 && p1 - p0 - done >= kPanelsOfOneRow ? kPanelsOfOneRow : 1;
    const Block run = group > 1 ? block_avx2<1, kPanelsOfOneRow, 2, Panel> : one_panel[M - 1];
    const int64_t first = descending ? p1 - done - group : p0 + done, j0 = first * kPanelColumns;
    for_even_row_blocks<kFewRowsAvx2>(
        M, M, c_rows, j0, C + j0, ldc, [&](int64_t, int64_t, const float* const* in) {
          run(K, A, lda, panels + first * K * kPanelColumns, 0, scales ? scales + j0 : nullptr,
              beta, in, C + j0, ldc, N - j0, nullptr, 0);
        });
    done += group;
  }
}

// Panels [p0, p1) of the thread's share [q0, q1) (whose size decides the prefetching, and in which
// the next panel is prefetched): each panel's columns for all rows while it is in the cache.
// scales: an int8 product's N column scales, else null.
template <typename Panel>
void panels_range(int64_t p0, int64_t p1, int64_t q0, int64_t q1, int64_t M, int64_t N, int64_t K,
                  const Panel* panels, const float* scales, const float* A, int64_t lda, float beta,
                  const float* const* c_rows, float* C, int64_t ldc, PanelOrder order) {
  const bool avx512 = cpu_path() == CpuPath::Avx512;
  const bool descending = order == PanelOrder::Descending;
  if (!avx512 && M <= kFewRowsAvx2) {
    few_rows_avx2(p0, p1, M, N, K, panels, scales, A, lda, beta, c_rows, C, ldc, descending);
    return;
  }
  const bool prefetches =
      M <= (avx512 ? kTallFrom - 1 : kPrefetchRowsAvx2) &&
      (q1 - q0) * K * kPanelColumns * static_cast<int64_t>(sizeof(Panel)) > prefetch_bytes();
  for (int64_t i = p0; i < p1; ++i) {
    const int64_t p = descending ? p0 + p1 - 1 - i : i;
    const int64_t j0 = p * kPanelColumns, width = std::min(kPanelColumns, N - j0);
    const float* panel_scales = scales ? scales + j0 : nullptr;
    const Panel* panel = panels + p * K * kPanelColumns;
    const int64_t following = descending ? p - 1 : p + 1;
    const Panel* ahead = prefetches && following >= q0 && following < q1
                             ? panels + following * K * kPanelColumns
                             : nullptr;
    if (!avx512) {
      rows_of_panel_avx2(M, K, A, lda, panel, panel_scales, beta, c_rows, j0, C + j0, ldc, width,
                         ahead);
      continue;
    }
    const int vectors = static_cast<int>((width + 15) / 16);
    const int tail = static_cast<int>(width - 16 * (vectors - 1));
    const __mmask16 last = static_cast<__mmask16>((1u << tail) - 1);
    float* c = C + j0;
    static_assert(kVectors == 2, "a panel is one or two vectors wide");
    if (vectors == 2)
      rows_of_panel<2>(M, K, A, lda, panel, panel_scales, beta, c_rows, j0, c, ldc, last, ahead);
    else
      rows_of_panel<1>(M, K, A, lda, panel, panel_scales, beta, c_rows, j0, c, ldc, last, ahead);
  }
}
#endif

// Chunks a thread's own share is taken in.
constexpr int64_t kChunksPerShare = 8;

template <typename Panel>
void multiply_panels(int64_t M, int64_t N, int64_t K, const Panel* panels, const float* scales,
                     const float* A, int64_t lda, float beta, float* C, int64_t ldc,
                     const float* const* c_rows, PanelOrder order) {
#if defined(__x86_64__)
  if (!available()) throw Error("panel_product::multiply needs the AVX-512 or AVX2 path");
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
    panels_range(0, count, 0, count, M, N, K, panels, scales, A, lda, beta, c_rows, C, ldc, order);
    return;
  }
  // Each thread takes its share a chunk at a time, from the end its order starts at; one done
  // with its own then takes chunks from the other end of the others'. A core held up meanwhile
  // (by the server's other threads, or by its host) would otherwise hold the product's end back:
  // batched serving on two cores, its clients on the same cores, decoded more tokens a second
  // (BENCHMARKS, "Twenty-sixth session"). A panel's outputs are the same bits whichever thread
  // computes them.
  std::vector<StealableRange> shares(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    const auto [front, back] = share_of(count, t, threads);
    shares[t].set(front, back);
  }
  const bool descending = order == PanelOrder::Descending;
#pragma omp parallel num_threads(threads)
  {
    // The shares as set, whatever number of threads the region got.
    const int t = omp_get_thread_num();
    const auto [q0, q1] = share_of(count, t, threads);
    // Even chunks: a row's panels go two at a time on the AVX2 path (few_rows_avx2).
    const int64_t chunk =
        2 * std::max<int64_t>(1, (q1 - q0 + 2 * kChunksPerShare - 1) / (2 * kChunksPerShare));
    for (int64_t b, e; shares[t].take(chunk, descending, b, e);)
      panels_range(b, e, q0, q1, M, N, K, panels, scales, A, lda, beta, c_rows, C, ldc, order);
    for (int o = 1; o < threads; ++o)
      for (int64_t b, e; shares[(t + o) % threads].take(2, !descending, b, e);)
        panels_range(b, e, b, e, M, N, K, panels, scales, A, lda, beta, c_rows, C, ldc, order);
  }
#else
  (void)M, (void)N, (void)K, (void)panels, (void)scales, (void)A, (void)lda, (void)beta, (void)C,
      (void)ldc, (void)c_rows, (void)order;
  throw Error("panel_product::multiply needs the AVX-512 or AVX2 path");
#endif
}

// The rows of W [N, K] (ldw apart) as the columns of panels: column j of a panel at slot(j) of
// each k, converted by convert; zero past N. Each source row read once, in order.
template <typename Out, typename In, typename Slot, typename Convert>
void pack_rows(int64_t K, int64_t N, const In* W, int64_t ldw, CacheAlignedVector<Out>& panels,
               Slot slot, Convert convert) {
  panels.assign(static_cast<size_t>(panel_count(N) * K * kPanelColumns), Out{0});
#pragma omp parallel for schedule(static) if (K * N >= (1 << 15) && !omp_in_parallel())
  for (int64_t j0 = 0; j0 < N; j0 += kPanelColumns) {
    const int64_t width = std::min(kPanelColumns, N - j0);
    Out* panel = panels.data() + j0 * K;
    for (int64_t j = 0; j < width; ++j) {
      const In* row = W + (j0 + j) * ldw;
      const int64_t at = slot(j);
      for (int64_t k = 0; k < K; ++k) panel[k * kPanelColumns + at] = convert(row[k]);
    }
  }
}

}  // namespace

bool available() {
  return cpu_path() == CpuPath::Avx512 || cpu_path() == CpuPath::Avx2;
}

bool suits(int64_t M, int64_t N, int64_t K) {
  switch (cpu_path()) {
    case CpuPath::Avx512:
      return M * N * K <= kMaxMultiplyAdds || M <= kFewRows;
    case CpuPath::Avx2:
      return K <= kAvx2MaxDepth;
    case CpuPath::Baseline:
      break;
  }
  return false;
}

void pack(Trans trans_b, int64_t K, int64_t N, const float* B, int64_t ldb,
          CacheAlignedVector<float>& panels) {
  panels.resize(static_cast<size_t>(panel_count(N) * K * kPanelColumns));
#pragma omp parallel for schedule(static) if (K * N >= (1 << 15) && !omp_in_parallel())
  for (int64_t j0 = 0; j0 < N; j0 += kPanelColumns) {
    const int64_t width = std::min(kPanelColumns, N - j0);
    float* panel = panels.data() + j0 * K;
    // A row of W (trans_b) is a column of the panel: its rows j0.. transposed in register tiles
    // (the packing of a training step's W_hh, twice a step, was 1.3% of PTB-medium's samples
    // when written a float at a time).
    if (trans_b == Trans::Yes)
      rows::transpose(width, K, B + j0 * ldb, ldb, panel, kPanelColumns);
    else
      for (int64_t k = 0; k < K; ++k)
        std::copy_n(B + k * ldb + j0, width, panel + k * kPanelColumns);
    if (width < kPanelColumns)
      for (int64_t k = 0; k < K; ++k)
        std::fill(panel + k * kPanelColumns + width, panel + (k + 1) * kPanelColumns, 0.0f);
  }
}

void pack_bf16(int64_t K, int64_t N, const float* W, CacheAlignedVector<bf16>& panels) {
  // Columns j and 16 + j side by side (load_panel_row).
  pack_rows(
      K, N, W, K, panels, [](int64_t j) { return j < 16 ? 2 * j : 2 * (j - 16) + 1; },
      [](float v) { return to_bf16(v); });
}

void pack_int8(int64_t K, int64_t N, const int8_t* W, int64_t ldw,
               CacheAlignedVector<int8_t>& panels) {
  pack_rows(
      K, N, W, ldw, panels, [](int64_t j) { return j; }, [](int8_t v) { return v; });
}

void multiply(int64_t M, int64_t N, int64_t K, const float* panels, const float* A, int64_t lda,
              float beta, float* C, int64_t ldc, const float* const* c_rows, PanelOrder order) {
  multiply_panels(M, N, K, panels, nullptr, A, lda, beta, C, ldc, c_rows, order);
}

void multiply(int64_t M, int64_t N, int64_t K, const bf16* panels, const float* A, int64_t lda,
              float beta, float* C, int64_t ldc, PanelOrder order) {
  multiply_panels(M, N, K, panels, nullptr, A, lda, beta, C, ldc, nullptr, order);
}

void multiply(int64_t M, int64_t N, int64_t K, const int8_t* panels, const float* scales,
              const float* A, int64_t lda, float beta, float* C, int64_t ldc, PanelOrder order) {
  multiply_panels(M, N, K, panels, scales, A, lda, beta, C, ldc, nullptr, order);
}

}  // namespace rnnkit::panel_product
