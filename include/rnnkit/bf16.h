#pragma once
#include <bit>
#include <cstdint>

namespace rnnkit {

// bfloat16 storage: the upper 16 bits of a float, rounded to nearest even (NaN stays NaN).
using bf16 = uint16_t;
// Inline and branch-free so that the `omp simd` loops of the kernels vectorise it: an
// out-of-line call per element cost 15% of a --bf16 training step.
inline bf16 to_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const uint32_t nearest_even = (bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (bits >> 16) | 0x40u;
  return static_cast<bf16>((bits & 0x7fffffffu) > 0x7f800000u ? quiet_nan : nearest_even);
}
inline float from_bf16(bf16 x) {
  return std::bit_cast<float>(static_cast<uint32_t>(x) << 16);
}
// dst = to_bf16(src) for one row of cols floats, on the calling thread.
void round_row_to_bf16(int64_t cols, const float* src, bf16* dst);
// dst = to_bf16(src) for a rows x cols matrix (leading dimensions lds, ldd), large ones by the
// threads.
void round_to_bf16(int64_t rows, int64_t cols, const float* src, int64_t lds, bf16* dst,
                   int64_t ldd);

}  // namespace rnnkit
