#include "rnnkit/clip_grad_norm.h"

#include <algorithm>
#include <cmath>

#include "rnnkit/error.h"
#include "tensor/element_ranges.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

RNNKIT_VECTOR_KERNEL double sum_of_squares(const float* x, int64_t n) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

RNNKIT_VECTOR_KERNEL void scale(float* x, int64_t n, float factor) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) x[i] *= factor;
}

}  // namespace

float grad_norm(const ParameterList& params) {
  double sum = 0;
  for (const Parameter* p : params) {
    const float* grad = p->grad.data();
    sum += sum_over_blocks(p->grad.numel(), [&](int64_t begin, int64_t end) {
      return vec::dispatch<sum_of_squares>(grad + begin, end - begin);
    });
  }
  return static_cast<float>(std::sqrt(sum));
}

float clip_coefficient(float norm, float max_norm) {
  if (!std::isfinite(max_norm) || max_norm < 0)
    throw Error("invalid max_norm " + std::to_string(max_norm) +
                " for gradient clipping: must be "
                "finite and >= 0");
  if (!std::isfinite(norm)) return 1.0f;
  // PyTorch evaluates max_norm / (norm + 1e-6) on float32 tensors as reciprocal() * max_norm.
  return std::min((1.0f / (norm + 1e-6f)) * max_norm, 1.0f);
}

float clip_grad_norm(const ParameterList& params, float max_norm) {
  const float norm = grad_norm(params);
  const float coef = clip_coefficient(norm, max_norm);
  if (coef < 1.0f) {
    for (Parameter* p : params) {
      float* grad = p->grad.data();
      for_element_ranges(p->grad.numel(), [&](int64_t begin, int64_t end) {
        vec::dispatch<scale>(grad + begin, end - begin, coef);
      });
    }
  }
  return norm;
}

}  // namespace rnnkit
