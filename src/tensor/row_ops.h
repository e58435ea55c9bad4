#pragma once
#include <omp.h>

#include <algorithm>
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

// body(c0, c1) for blocks of 64 columns of a rows x cols sum, shared among the threads when
// there is enough of it (64K elements) and no parallel region around: a column's sum keeps its
// row order whatever the thread count.
template <class Body>
void for_column_blocks(int64_t rows, int64_t cols, const Body& body) {
  constexpr int64_t kColumns = 64;
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 16) && !omp_in_parallel())
  for (int64_t c0 = 0; c0 < cols; c0 += kColumns) body(c0, std::min(cols, c0 + kColumns));
}

}  // namespace rnnkit::rows
