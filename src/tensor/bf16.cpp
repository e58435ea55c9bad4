#include "rnnkit/bf16.h"

#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

RNNKIT_VECTOR_KERNEL void round_row(int64_t cols, const float* src, bf16* dst) {
#pragma omp simd
  for (int64_t c = 0; c < cols; ++c) dst[c] = to_bf16(src[c]);
}

}  // namespace

bf16 to_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  if ((bits & 0x7fffffffu) > 0x7f800000u)
    return static_cast<bf16>((bits >> 16) | 0x40u);  // quiet NaN
  return static_cast<bf16>((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

void round_to_bf16(int64_t rows, int64_t cols, const float* src, int64_t lds, bf16* dst,
                   int64_t ldd) {
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 20))
  for (int64_t r = 0; r < rows; ++r) vec::dispatch<round_row>(cols, src + r * lds, dst + r * ldd);
}

}  // namespace rnnkit
