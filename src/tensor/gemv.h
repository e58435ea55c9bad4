#pragma once
#include <cstdint>

// Matrix-vector products y[N] = alpha * W[N,K] x[K] + beta * y for the single-row products of
// batch-1 generation, which read every weight once per token and so are bound by memory
// bandwidth; oneDNN's sgemm is not tuned for M = 1. Both run in the CPU path of cpu_path().
namespace rnnkit::gemv {

void f32(int64_t N, int64_t K, float alpha, const float* W, int64_t ldw, const float* x, float beta,
         float* y);
// Weights stored as int8 (rows ldw apart) with a scale per row: each weight widened to float32
// and summed in float32, the row's sum then scaled. The portable int8 product (int8_gemv.h), for
// M rows of X (ldx apart) into Y (ldy apart), each row exactly as alone.
void int8_widened(int64_t N, int64_t K, const int8_t* W, int64_t ldw, const float* row_scales,
                  int64_t M, const float* X, int64_t ldx, float beta, float* Y, int64_t ldy);

}  // namespace rnnkit::gemv
