#pragma once
#include <cstdint>

namespace rnnkit::softmax_rows {

// out[v] = exp(x[v] - shift) for v < V with vec::exp's arithmetic, returning their sum: the
// exponentials of a softmax row whose largest element is shift (every x[v] - shift <= 0, or NaN).
// out may alias x, or be null for the sum alone (the same sum). On the AVX-512 path a
// hand-written loop, bit for bit exp_row_compiled's terms and sum in an optimized build;
// elsewhere exp_row_compiled.
float exp_row(const float* x, int64_t V, float shift, float* out);

// The same loop as the compiler vectorises it (#pragma omp simd) for cpu_path().
float exp_row_compiled(const float* x, int64_t V, float shift, float* out);

}  // namespace rnnkit::softmax_rows
