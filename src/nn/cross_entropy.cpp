#include "rnnkit/cross_entropy.h"

#include <cmath>
#include <string>

#include "rnnkit/error.h"
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

RNNKIT_VECTOR_KERNEL float row_sum_exp(const float* x, int64_t V, float shift) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t v = 0; v < V; ++v) s += vec::exp(x[v] - shift);
  return s;
}

// out[v] = exp(x[v] - shift), returning their sum; out may alias x.
RNNKIT_VECTOR_KERNEL float row_exp(const float* x, int64_t V, float shift, float* out) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t v = 0; v < V; ++v) {
    const float e = vec::exp(x[v] - shift);
    out[v] = e;
    s += e;
  }
  return s;
}

RNNKIT_VECTOR_KERNEL void row_scale(float* x, int64_t V, float scale) {
#pragma omp simd
  for (int64_t v = 0; v < V; ++v) x[v] *= scale;
}

// The loss of the rows of `logits`, with `bias` (when not null) first added to each row in
// place, through `biased` (the same logits, writable).
CrossEntropySum rows_loss(float* biased, const float* logits, const float* bias, int64_t N,
                          int64_t V, int64_t ld, const int32_t* targets, int32_t ignore_index,
                          float* grad, float grad_scale) {
  for (int64_t i = 0; i < N; ++i)
    if (targets[i] != ignore_index && (targets[i] < 0 || targets[i] >= V))
      throw Error("target id " + std::to_string(targets[i]) + " is outside the " +
                  std::to_string(V) + " classes");
  double loss = 0;
  int64_t count = 0;
  // From 16K logits (a few tens of microseconds of work) on, the rows are shared among the threads:
  // the small vocabularies of character models (1,120 rows of 28 in the d2l batch) included.
#pragma omp parallel for schedule(static) reduction(+ : loss, count) if (N * V >= (1 << 14))
  for (int64_t i = 0; i < N; ++i) {
    const float* x = logits + i * ld;
    float* g = grad ? grad + i * ld : nullptr;
    if (targets[i] == ignore_index) {
      if (bias) rows::add_bias(1, V, biased + i * ld, ld, bias);
      if (g)
        for (int64_t v = 0; v < V; ++v) g[v] = 0.0f;
      continue;
    }
    const float m =
        bias ? vec::dispatch<row_add_max>(biased + i * ld, bias, V) : vec::dispatch<row_max>(x, V);
    const float target_logit = x[targets[i]];
    // With a gradient to write, the exponentials are stored there and scaled afterwards: one
    // exp per logit instead of two.
    const float sum = g ? vec::dispatch<row_exp>(x, V, m, g) : vec::dispatch<row_sum_exp>(x, V, m);
    loss += std::log(static_cast<double>(sum)) + m - target_logit;
    ++count;
    if (g) {
      vec::dispatch<row_scale>(g, V, grad_scale / sum);
      g[targets[i]] -= grad_scale;
    }
  }
  return {loss, count};
}

}  // namespace

CrossEntropySum softmax_cross_entropy(const float* logits, int64_t N, int64_t V, int64_t ld,
                                      const int32_t* targets, int32_t ignore_index, float* grad,
                                      float grad_scale) {
  return rows_loss(nullptr, logits, nullptr, N, V, ld, targets, ignore_index, grad, grad_scale);
}

CrossEntropySum softmax_cross_entropy_with_bias(float* logits, const float* bias, int64_t N,
                                                int64_t V, int64_t ld, const int32_t* targets,
                                                int32_t ignore_index, float* grad,
                                                float grad_scale) {
  return rows_loss(logits, logits, bias, N, V, ld, targets, ignore_index, grad, grad_scale);
}

void log_softmax(const float* logits, int64_t V, float* out) {
  const float m = vec::dispatch<row_max>(logits, V);
  const float log_sum = std::log(vec::dispatch<row_sum_exp>(logits, V, m)) + m;
  for (int64_t v = 0; v < V; ++v) out[v] = logits[v] - log_sum;
}

}  // namespace rnnkit
