#include "rnnkit/cross_entropy.h"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "nn/row_exp.h"
#include "rnnkit/bf16.h"
#include "rnnkit/cache_aligned.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "rnnkit/precision.h"
#include "tensor/panel_product.h"
#include "tensor/row_ops.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

RNNKIT_VECTOR_KERNEL float row_max(const float* x, int64_t V) {
  float m = x[0];
#pragma omp simd reduction(max : m)
  for (int64_t v = 0; v < V; ++v) m = x[v] > m ? x[v] : m;
  return m;
}

// x[v] += bias[v], returning the largest x[v] after it.
RNNKIT_VECTOR_KERNEL float row_add_max(float* x, const float* bias, int64_t V) {
  float m = x[0] + bias[0];
#pragma omp simd reduction(max : m)
  for (int64_t v = 0; v < V; ++v) {
    x[v] += bias[v];
    m = x[v] > m ? x[v] : m;
  }
  return m;
}

// The largest x[v] + bias[v], not stored.
RNNKIT_VECTOR_KERNEL float row_max_biased(const float* x, const float* bias, int64_t V) {
  float m = x[0] + bias[0];
#pragma omp simd reduction(max : m)
  for (int64_t v = 0; v < V; ++v) m = x[v] + bias[v] > m ? x[v] + bias[v] : m;
  return m;
}

RNNKIT_VECTOR_KERNEL void row_scale(float* x, int64_t V, float scale) {
#pragma omp simd
  for (int64_t v = 0; v < V; ++v) x[v] *= scale;
}

void check_targets(const int32_t* targets, int64_t N, int64_t V, int32_t ignore_index) {
  for (int64_t i = 0; i < N; ++i)
    if (targets[i] != ignore_index && (targets[i] < 0 || targets[i] >= V))
      throw Error("target id " + std::to_string(targets[i]) + " is outside the " +
                  std::to_string(V) + " classes");
}

// Rows whose gradients are summed together for grad_column_sums: a fixed count, so that the
// sums do not depend on the thread count.
constexpr int64_t kSummedRows = 16;

RNNKIT_VECTOR_KERNEL void row_accumulate(float* sum, const float* x, int64_t V) {
#pragma omp simd
  for (int64_t v = 0; v < V; ++v) sum[v] += x[v];
}

// The loss of the rows of `logits`, with `bias` (when not null) first added to each row in
// place, through `biased` (the same logits, writable); with grad_rounded, each gradient row is
// also rounded to bfloat16 there (V apart); with grad_column_sums, the gradient's column sums are
// added to it, gathered while each row is in cache (by blocks of kSummedRows rows, then the
// blocks' sums in order).
CrossEntropySum rows_loss(float* biased, const float* logits, const float* bias, int64_t N,
                          int64_t V, int64_t ld, const int32_t* targets, int32_t ignore_index,
                          float* grad, float grad_scale, bf16* grad_rounded = nullptr,
                          float* grad_column_sums = nullptr) {
  check_targets(targets, N, V, ignore_index);
  double loss = 0;
  int64_t count = 0;
  const int64_t blocks = (N + kSummedRows - 1) / kSummedRows;
  const bool sums = grad && grad_column_sums;
  thread_local CacheAlignedVector<float> block_sums;
  if (sums) block_sums.resize(static_cast<size_t>(blocks * V));
  float* const all_block_sums = block_sums.data();
  // From 16K logits (a few tens of microseconds of work) on, the rows are shared among the threads:
  // the small vocabularies of character models (1,120 rows of 28 in the d2l batch) included.
#pragma omp parallel for schedule(static) reduction(+ : loss, count) if (N * V >= (1 << 14))
  for (int64_t block = 0; block < blocks; ++block) {
    float* block_sum = sums ? all_block_sums + block * V : nullptr;
    if (block_sum) std::fill(block_sum, block_sum + V, 0.0f);
    for (int64_t i = block * kSummedRows; i < std::min(N, (block + 1) * kSummedRows); ++i) {
      const float* x = logits + i * ld;
      float* g = grad ? grad + i * ld : nullptr;
      bf16* rounded = g && grad_rounded ? grad_rounded + i * V : nullptr;
      if (targets[i] == ignore_index) {
        if (bias) rows::add_bias(1, V, biased + i * ld, ld, bias);
        if (g) std::fill(g, g + V, 0.0f);
        if (rounded) std::fill(rounded, rounded + V, to_bf16(0.0f));
        continue;
      }
      const float m = bias ? vec::dispatch<row_add_max>(biased + i * ld, bias, V)
                           : vec::dispatch<row_max>(x, V);
      const float target_logit = x[targets[i]];
      // With a gradient to write, the exponentials are stored there and scaled afterwards: one
      // exp per logit instead of two.
      const float sum = softmax_rows::exp_row(x, V, m, g);
      loss += std::log(static_cast<double>(sum)) + m - target_logit;
      ++count;
      if (g) {
        vec::dispatch<row_scale>(g, V, grad_scale / sum);
        g[targets[i]] -= grad_scale;
        if (rounded) round_row_to_bf16(V, g, rounded);
        if (block_sum) vec::dispatch<row_accumulate>(block_sum, g, V);
      }
    }
  }
  if (sums) rows::add_column_sums(blocks, V, all_block_sums, V, grad_column_sums);
  return {loss, count};
}

// Rows and columns of the logits that linear_softmax_cross_entropy holds at a time: 256 KB,
// in L2 while their log-sum-exp is gathered; the weight's panels are read once per block of rows.
// Features up to kLinearMaxFeatures wide: panels of 64 KB at most (measured at 256 features).
constexpr int64_t kLinearRows = 128, kLinearColumns = 512, kLinearMaxFeatures = 512;

// Each row's running log-sum-exp: the sum of exp(logit - shift) so far. The shift is the first
// block's largest logit, raised only when a later block's lies more than kShiftSlack above it:
// terms up to e^64 leave the sum of any vocabulary far below float's range, so most blocks take
// one pass (their sum and their maximum together) instead of two.
struct RunningLogSumExp {
  float shift = -std::numeric_limits<float>::infinity(), sum = 0.0f, target = 0.0f;
};
constexpr float kShiftSlack = 64.0f;

struct SumAndMax {
  float sum, max;
};

// The lanes' sums added in turn and their largest maximum.
template <int kLanes>
SumAndMax over_lanes(const float (&sums)[kLanes], const float (&maxima)[kLanes]) {
  SumAndMax total{0.0f, maxima[0]};
  for (int i = 0; i < kLanes; ++i) {
    total.sum += sums[i];
    total.max = std::max(total.max, maxima[i]);
  }
  return total;
}

// Over v < V: the sum of exp(x[v] + bias[v] - shift), with vec::exp's arithmetic (the same
// range reduction, polynomial and rounding of n, so the same bits for every term it would not
// clamp), and the largest x[v] + bias[v]. Hand-written because the loop vec::exp makes here spent
// seven of its 24 instructions on the clamps: below, one maximum (whose floor, -104, is where exp
// underflows to zero) and a scalef that takes any n.
[[gnu::target("avx512f")]] SumAndMax sum_exp_and_max_avx512(const float* x, const float* bias,
                                                            int64_t V, float shift) {
  const __m512 floor = _mm512_set1_ps(-104.0f), shifts = _mm512_set1_ps(shift);
  __m512 sum = _mm512_setzero_ps(), max = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t v = 0; v < V; v += 16) {
    const __mmask16 lanes = V - v >= 16 ? __mmask16(0xffff) : __mmask16((1u << (V - v)) - 1);
    const __m512 logit =
        _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, x + v), _mm512_maskz_loadu_ps(lanes, bias + v));
    max = _mm512_mask_max_ps(max, lanes, max, logit);
    // A NaN is the second operand, which vmaxps returns: it reaches the sum.
    const __m512 a = _mm512_maskz_max_ps(0xffff, floor, _mm512_sub_ps(logit, shifts));
    sum = _mm512_mask_add_ps(sum, lanes, sum, softmax_rows::exp_floored_avx512(a));
  }
  // The masked forms and this reduction by hand: GCC 12 warns about the plain ones' undefined
  // operands.
  alignas(64) float sums[16], maxima[16];
  _mm512_store_ps(sums, sum);
  _mm512_store_ps(maxima, max);
  return over_lanes(sums, maxima);
}

// The same on the AVX2 path, 8 lanes: exp_avx2 scales by the bits of 2^n, so the floor is
// vec::exp's own (-87: every term below it is exp(-87), about 1e-38, where the AVX-512 path's is
// smaller or zero; nothing a sum of at least 1 can hold). A NaN logit is vmaxps's first operand in
// the maximum, which it then leaves alone, and reaches the sum. The tail is read through a buffer
// (masked loads are microcoded on AMD cores), its lanes past V masked out.
[[gnu::target("avx2,fma")]] SumAndMax sum_exp_and_max_avx2(const float* x, const float* bias,
                                                           int64_t V, float shift) {
  const __m256 shifts = _mm256_set1_ps(shift);
  const __m256 minus_inf = _mm256_set1_ps(-std::numeric_limits<float>::infinity());
  __m256 sum = _mm256_setzero_ps(), max = minus_inf;
  for (int64_t v = 0; v < V; v += 8) {
    __m256 logit, valid = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    if (V - v >= 8) {
      logit = _mm256_add_ps(_mm256_loadu_ps(x + v), _mm256_loadu_ps(bias + v));
    } else {
      alignas(32) float xs[8] = {}, biases[8] = {};
      std::copy(x + v, x + V, xs);
      std::copy(bias + v, bias + V, biases);
      valid = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(V - v)),
                                                     _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
      logit = _mm256_blendv_ps(minus_inf, _mm256_add_ps(_mm256_load_ps(xs), _mm256_load_ps(biases)),
                               valid);
    }
    max = _mm256_max_ps(logit, max);
    const __m256 term = softmax_rows::exp_avx2(_mm256_sub_ps(logit, shifts));
    sum = _mm256_add_ps(sum, _mm256_and_ps(term, valid));
  }
  alignas(32) float sums[8], maxima[8];
  _mm256_store_ps(sums, sum);
  _mm256_store_ps(maxima, max);
  return over_lanes(sums, maxima);
}

SumAndMax sum_exp_and_max(const float* x, const float* bias, int64_t V, float shift) {
  return cpu_path() == CpuPath::Avx512 ? sum_exp_and_max_avx512(x, bias, V, shift)
                                       : sum_exp_and_max_avx2(x, bias, V, shift);
}

}  // namespace

bool linear_softmax_cross_entropy_suits(int64_t N, int64_t F) {
  return panel_product::available() && matmul_precision() == Precision::F32 && N >= kLinearRows &&
         F <= kLinearMaxFeatures;
}

CrossEntropySum linear_softmax_cross_entropy(const float* features, int64_t N, int64_t F,
                                             const float* panels, const float* bias, int64_t V,
                                             const int32_t* targets, int32_t ignore_index) {
  check_targets(targets, N, V, ignore_index);
  double loss = 0;
  int64_t count = 0;
  const int64_t blocks = (N + kLinearRows - 1) / kLinearRows;
#pragma omp parallel reduction(+ : loss, count)
  {
    thread_local CacheAlignedVector<float> tile;
    tile.resize(kLinearRows * kLinearColumns);
    RunningLogSumExp rows[kLinearRows];
#pragma omp for schedule(static)
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t r0 = b * kLinearRows, m = std::min(kLinearRows, N - r0);
      for (int64_t r = 0; r < m; ++r) rows[r] = RunningLogSumExp{};
      for (int64_t j0 = 0; j0 < V; j0 += kLinearColumns) {
        const int64_t w = std::min(kLinearColumns, V - j0);
        panel_product::multiply(m, w, F, panels + j0 * F, features + r0 * F, F, 0.0f, tile.data(),
                                kLinearColumns);
        for (int64_t r = 0; r < m; ++r) {
          const int32_t t = targets[r0 + r];
          if (t == ignore_index) continue;
          const float* x = tile.data() + r * kLinearColumns;
          RunningLogSumExp& row = rows[r];
          if (row.shift == -std::numeric_limits<float>::infinity())
            row.shift = vec::dispatch<row_max_biased>(x, bias + j0, w);
          SumAndMax block = sum_exp_and_max(x, bias + j0, w, row.shift);
          if (block.max > row.shift + kShiftSlack) {
            row.sum *= std::exp(row.shift - block.max);
            row.shift = block.max;
            block = sum_exp_and_max(x, bias + j0, w, row.shift);
          }
          row.sum += block.sum;
          if (t >= j0 && t < j0 + w) row.target = x[t - j0] + bias[t];
        }
      }
      for (int64_t r = 0; r < m; ++r) {
        if (targets[r0 + r] == ignore_index) continue;
        loss += std::log(static_cast<double>(rows[r].sum)) + rows[r].shift - rows[r].target;
        ++count;
      }
    }
  }
  return {loss, count};
}

CrossEntropySum softmax_cross_entropy(const float* logits, int64_t N, int64_t V, int64_t ld,
                                      const int32_t* targets, int32_t ignore_index, float* grad,
                                      float grad_scale) {
  return rows_loss(nullptr, logits, nullptr, N, V, ld, targets, ignore_index, grad, grad_scale);
}

CrossEntropySum softmax_cross_entropy_with_bias(float* logits, const float* bias, int64_t N,
                                                int64_t V, int64_t ld, const int32_t* targets,
                                                int32_t ignore_index, float* grad, float grad_scale,
                                                bf16* grad_rounded, float* grad_column_sums) {
  return rows_loss(logits, logits, bias, N, V, ld, targets, ignore_index, grad, grad_scale,
                   grad_rounded, grad_column_sums);
}

void log_softmax(const float* logits, int64_t V, float* out) {
  const float m = vec::dispatch<row_max>(logits, V);
  const float log_sum = std::log(softmax_rows::exp_row(logits, V, m, nullptr)) + m;
  for (int64_t v = 0; v < V; ++v) out[v] = logits[v] - log_sum;
}

}  // namespace rnnkit
