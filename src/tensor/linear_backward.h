#pragma once
#include <cstdint>

namespace rnnkit {

// The backward of a wide linear layer y = x W^T + b over m rows:
// dW [V,F] += dY^T X, db [V] += the column sums of dY, dX [m,F] = dY W.
// Its products run in the matmul precision, block by block (gemm); in BF16 that would round
// each block's operands again, so callers take it in float32 only.
// Each thread takes its own share of the V outputs (W's rows), in blocks of kColumns of dY's
// columns, and runs all three on a block while it is in its L2 cache: dY is read from memory
// once, where the three passes of separate products read it three times. Each thread's share of
// dX (the sum over its outputs) goes to a buffer of its own, and the shares are added in thread
// order, so the result depends on the thread count but not on timing.
void linear_backward_by_outputs(int64_t m, int64_t V, int64_t F, const float* dY, int64_t ldy,
                                const float* X, int64_t ldx, const float* W, float* dW, float* db,
                                float* dX, int64_t lddx);

// Whether linear_backward_by_outputs suits a layer of V outputs and F features on `threads`
// threads: each thread's share must hold enough blocks for the products' rate, and a block's
// read and write of the thread's dX share (m x F) must cost no more than the two reads of the
// block's dY (m x kColumns each) that the path saves.
bool linear_backward_by_outputs_suits(int64_t V, int64_t F, int threads);

}  // namespace rnnkit
