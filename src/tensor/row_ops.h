#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "tensor/thread_share.h"

// Small strided-matrix helpers shared by the layers: a matrix is `rows` rows of `cols` floats,
// `ld` floats apart.
namespace rnnkit::rows {

void copy(int64_t rows, int64_t cols, const float* src, int64_t lds, float* dst, int64_t ldd);
void zero(int64_t rows, int64_t cols, float* dst, int64_t ldd);
// dst[r][c] = src[r][c] for rows kept apart (one pointer per row)
void copy_rows(int64_t rows, int64_t cols, const float* const* src, float* dst, int64_t ldd);
// dst[r][c] += bias[c] (+ bias2[c] when bias2 is not null)
void add_bias(int64_t rows, int64_t cols, float* dst, int64_t ldd, const float* bias,
              const float* bias2 = nullptr);
// out[c] += sum over rows of src[r][c], a row at a time in row order; out2, when not null, gets
// the same additions from its own start (one pass over src for two gradients of the same sums)
void add_column_sums(int64_t rows, int64_t cols, const float* src, int64_t lds, float* out,
                     float* out2 = nullptr);
// dst[c][r] = src[r][c]: dst has `cols` rows
void transpose(int64_t rows, int64_t cols, const float* src, int64_t lds, float* dst, int64_t ldd);
// dst[to[r]][c] += src[r][c], row after row (in one thread: callers share columns among threads)
void scatter_add_rows(int64_t rows, int64_t cols, const float* src, int64_t lds, const int32_t* to,
                      float* dst, int64_t ldd);

// body(c0, c1) for column blocks of a rows x cols sum, one contiguous block per thread when there
// is enough of it (64K elements) and no parallel region around: a column's sum keeps its row order
// whatever the thread count. Each body walks its rows front to back, as the prefetcher expects;
// narrow blocks striding down the rows of a wide matrix (a chunk of logits is 33 KB a row) missed
// the cache at every row.
template <class Body>
void for_column_blocks(int64_t rows, int64_t cols, const Body& body) {
#pragma omp parallel if (rows * cols >= (1 << 16) && !omp_in_parallel())
  {
    const auto [c0, c1] = thread_share_of_lines(cols);
    if (c0 < c1) body(c0, c1);
  }
}

}  // namespace rnnkit::rows
