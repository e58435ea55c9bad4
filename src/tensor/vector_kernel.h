#pragma once
#include <bit>
#include <cstdint>
#include <utility>

#include "rnnkit/cpu_dispatch.h"

// rnnkit's own kernels are compiled three times, for AVX-512, for AVX2 with FMA and for the
// baseline ISA, and run in the version of cpu_path(). A kernel is an always-inline function
// (RNNKIT_VECTOR_KERNEL) that vec::dispatch<kernel>(args...) inlines into one wrapper per
// instruction set. The choice is explicit rather than GCC's target_clones, whose loader-time choice
// RNNKIT_CPU could not override. A kernel holds no OpenMP parallel region (an outlined region would
// be compiled for the baseline): parallel loops call dispatch() per row or block.
#define RNNKIT_VECTOR_KERNEL [[gnu::always_inline]] inline

namespace rnnkit::vec {

#if defined(__x86_64__)
template <auto kernel, class... Args>
[[gnu::target("avx512f")]] auto run_avx512(Args&&... args) {
  return kernel(std::forward<Args>(args)...);
}

template <auto kernel, class... Args>
[[gnu::target("avx2,fma")]] auto run_avx2(Args&&... args) {
  return kernel(std::forward<Args>(args)...);
}
#endif

template <auto kernel, class... Args>
auto run_baseline(Args&&... args) {
  return kernel(std::forward<Args>(args)...);
}

template <auto kernel, class... Args>
inline auto dispatch(Args&&... args) {
#if defined(__x86_64__)
  switch (cpu_path()) {
    case CpuPath::Avx512:
      return run_avx512<kernel>(std::forward<Args>(args)...);
    case CpuPath::Avx2:
      return run_avx2<kernel>(std::forward<Args>(args)...);
    case CpuPath::Baseline:
      break;
  }
#endif
  return run_baseline<kernel>(std::forward<Args>(args)...);
}

// exp(x) in float with ~1 ulp error, written so that `#pragma omp simd` loops vectorise it (no
// libm call): range reduction by ln 2, a degree-6 polynomial, scaling through the exponent bits.
inline float exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float round_magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to nearest integer
  float n = (x * 1.44269504088896341f + round_magic) - round_magic;
  float r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-06f;
  float p = 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * std::bit_cast<float>(bits);
}

inline float sigmoid(float x) {
  return 1.0f / (1.0f + vec::exp(-x));
}

// tanh through exp of a non-positive argument, so nothing overflows.
inline float tanh(float x) {
  float e = vec::exp(-2.0f * (x < 0 ? -x : x));
  float t = (1.0f - e) / (1.0f + e);
  return x < 0 ? -t : t;
}

}  // namespace rnnkit::vec
