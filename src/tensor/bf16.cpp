#include "rnnkit/bf16.h"

#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

RNNKIT_VECTOR_KERNEL void round_row(int64_t cols, const float* src, bf16* dst) {
#pragma omp simd
  for (int64_t c = 0; c < cols; ++c) dst[c] = to_bf16(src[c]);
}

}  // namespace

void round_row_to_bf16(int64_t cols, const float* src, bf16* dst) {
  vec::dispatch<round_row>(cols, src, dst);
}

void round_to_bf16(int64_t rows, int64_t cols, const float* src, int64_t lds, bf16* dst,
                   int64_t ldd) {
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 20))
  for (int64_t r = 0; r < rows; ++r) round_row_to_bf16(cols, src + r * lds, dst + r * ldd);
}

}  // namespace rnnkit
