#pragma once
#include <cstdint>

#include "rnnkit/bf16.h"

// Products Y[M,N] = X[M,K] W[N,K]^T + beta * Y of a few input rows (M <= kMaxRows) with a layer's
// weights, the recurrent step of batched generation, on the CPU path without the panel kernel
// (panel_product.h): the baseline. Every output is summed in one fixed order whatever M is and
// whichever rows share a call (16 lanes of k in k order, then the lanes reduced), so a row of a
// batch gets exactly the bits it gets alone; each weight row is read once per call for all M
// rows.
namespace rnnkit::row_block_gemv {

constexpr int64_t kMaxRows = 16;

void f32(int64_t M, int64_t N, int64_t K, const float* W, const float* X, int64_t ldx, float beta,
         float* Y, int64_t ldy);
// Weights stored as bfloat16 (dense rows), widened exactly and summed in float32.
void bf16(int64_t M, int64_t N, int64_t K, const rnnkit::bf16* W, const float* X, int64_t ldx,
          float beta, float* Y, int64_t ldy);

}  // namespace rnnkit::row_block_gemv
