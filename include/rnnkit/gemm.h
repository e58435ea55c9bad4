#pragma once
#include <cstdint>

namespace rnnkit {

enum class Trans { No, Yes };

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major with leading dimensions.
// The one matrix-product entry point of rnnkit: oneDNN's AVX-512 sgemm for matrices, a
// bandwidth-bound GEMV for the single-row products of batch-1 generation.
void gemm(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// Threads used by the GEMM backend and rnnkit's own parallel loops (OpenMP).
void set_num_threads(int threads);
int num_threads();

}  // namespace rnnkit
