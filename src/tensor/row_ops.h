#pragma once
#include <cstdint>

// Small strided-matrix helpers shared by the layers: a matrix is `rows` rows of `cols` floats,
// `ld` floats apart.
namespace rnnkit::rows {

void copy(int64_t rows, int64_t cols, const float* src, int64_t lds, float* dst, int64_t ldd);
void zero(int64_t rows, int64_t cols, float* dst, int64_t ldd);
// dst[r][c] += bias[c] (+ bias2[c] when bias2 is not null)
void add_bias(int64_t rows, int64_t cols, float* dst, int64_t ldd, const float* bias,
              const float* bias2 = nullptr);
// out[c] += sum over rows of src[r][c]
void add_column_sums(int64_t rows, int64_t cols, const float* src, int64_t lds, float* out);

}  // namespace rnnkit::rows
