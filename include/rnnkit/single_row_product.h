#pragma once
#include <cstdint>
#include <vector>

#include "rnnkit/int8_rows.h"
#include "rnnkit/precision.h"

namespace rnnkit {

// The most rows a SingleRowProduct multiplies at once: the largest batch of generation steps
// whose rows are computed exactly as alone.
constexpr int64_t kMaxStepRows = 16;

// y[N] = W[N,K] x[K] + beta * y for a weight matrix W (dense rows) that a layer owns and a
// single input row: batch-1 generation, which reads every weight once per token and so runs at
// the speed of memory. In float32 on AVX-512 it reads a copy of W packed for the panel kernel
// (panel_product.h), elsewhere W itself (a row-block GEMV); in the BF16 mode it reads a bfloat16
// copy of W (half the bytes), widening each weight exactly and summing in float32, so the
// weights' rounding is the only difference. A copy is made on first use and again after
// note_weights_changed(). One object serves one thread at a time.
//
// A quantized model's products read int8 instead (read_int8()): a copy of W quantized per row
// (quantize_rows), which for the dequantized weights of a quantized file is that file's int8
// matrix bit for bit; the product is gemv::int8 (VNNI where the CPU path allows).
class SingleRowProduct {
 public:
  void multiply(int64_t N, int64_t K, const float* W, const float* x, float beta, float* y);
  // Y[M,N] = X[M,K] W^T + beta * Y for M <= kMaxStepRows rows (a batched generation step): each
  // row's result is bit for bit what multiply() gives that row alone.
  void multiply_rows(int64_t M, int64_t N, int64_t K, const float* W, const float* X, int64_t ldx,
                     float beta, float* Y, int64_t ldy);
  // From now on, whatever the matmul precision.
  void read_int8() { reads_int8_ = true; }

 private:
  bool reads_int8_ = false;
  Int8Rows int8_weights_;
  MatmulOperand weights_;
  std::vector<float> panels_;  // float32 on AVX-512: W packed for the panel kernel
  const float* source_ = nullptr;
  uint64_t epoch_ = 0;
};

// Marks every SingleRowProduct copy stale. Whatever rewrites weights that may already have been
// multiplied calls it: Optimizer::step(), the models' load_state_dict(), the layers'
// reset_parameters() (and a test that perturbs a weight).
void note_weights_changed();

}  // namespace rnnkit
