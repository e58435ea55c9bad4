#pragma once
#include <cstdint>

#include "rnnkit/packed_matrix.h"
#include "rnnkit/precision.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/threads.h"
#include "rnnkit/trans.h"

// rnnkit's matrix products: gemm() here, and the reusable operands (MatmulOperand,
// PackedMatrix, SingleRowProduct) and the thread count that govern them.
namespace rnnkit {

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major with leading dimensions.
// The one matrix-product entry point of rnnkit: oneDNN's AVX-512 sgemm for matrices, a
// bandwidth-bound GEMV for the single-row products of batch-1 generation. In the BF16 precision
// products of more than one row round their operands first (matmul_precision()).
void gemm(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc);

// The same product of prepared operands, in their precision (both must have the same). Its
// shape comes from the operands: op(A) is [M,K], op(B) [K,N].
void gemm(Trans trans_a, Trans trans_b, float alpha, const MatmulOperand& A, const MatmulOperand& B,
          float beta, float* C, int64_t ldc);

}  // namespace rnnkit
