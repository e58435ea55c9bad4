#pragma once
#include <bit>
#include <cstdint>

namespace rnnkit {

// bfloat16 storage: the upper 16 bits of a float, rounded to nearest even (NaN stays NaN).
using bf16 = uint16_t;
bf16 to_bf16(float x);
inline float from_bf16(bf16 x) {
  return std::bit_cast<float>(static_cast<uint32_t>(x) << 16);
}
// dst = to_bf16(src) for a rows x cols matrix (leading dimensions lds, ldd).
void round_to_bf16(int64_t rows, int64_t cols, const float* src, int64_t lds, bf16* dst,
                   int64_t ldd);

}  // namespace rnnkit
