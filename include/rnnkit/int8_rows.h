#pragma once
#include <cstdint>
#include <vector>

namespace rnnkit {

// A matrix W [rows, cols] stored as int8 with one symmetric scale per row (per output unit):
// W[n][k] = scales[n] * values[n][k], where scales[n] = max_k |W[n][k]| / 127 and values are
// W / scale rounded to nearest even, in [-127, 127]. Each element is thus off by at most
// scales[n] / 2, and a row of zeros has scale 0. The layout of a quantized model file
// (docs/FORMAT.md) is this one without the padding.
//
// Quantizing is idempotent: quantize_rows of the dequantized matrix gives back the same values
// and scales, bit for bit (the largest element of a row dequantizes to 127 * scale, and
// (127 * s) / 127 == s in float32). So a model loaded from a quantized file keeps float32
// weights for its batched products and re-quantizes them for its single-row ones without
// drifting from the file.
struct Int8Rows {
  int64_t rows = 0, cols = 0;
  // Row stride: cols rounded up to kInt8RowAlignment; the padding holds zeros, so kernels read
  // whole blocks of 64 weights.
  int64_t ld = 0;
  std::vector<int8_t> values;     // rows x ld
  std::vector<float> scales;      // rows
  std::vector<int32_t> row_sums;  // sum_k values[n][k] (the u8 offset correction of VNNI)
};

inline constexpr int64_t kInt8RowAlignment = 64;

// W: rows x cols floats, ldw apart. A non-finite element is an Error.
Int8Rows quantize_rows(int64_t rows, int64_t cols, const float* W, int64_t ldw);
// W[n][k] = scales[n] * values[n][k] in float32: what a quantized matrix stands for.
inline float dequantized(float scale, int8_t value) {
  return scale * static_cast<float>(value);
}

}  // namespace rnnkit
