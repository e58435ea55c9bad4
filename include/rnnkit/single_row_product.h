#pragma once
#include <cstdint>
#include <vector>

#include "rnnkit/cache_aligned.h"
#include "rnnkit/int8_rows.h"
#include "rnnkit/precision.h"

namespace rnnkit {

// The most rows a SingleRowProduct multiplies at once: the largest batch of generation steps
// whose rows are computed exactly as alone.
constexpr int64_t kMaxStepRows = 16;

// Marks every copy of weights stale (WeightsStamp). Whatever rewrites weights that may already have
// been multiplied calls it: Optimizer::step(), the models' load_state_dict(), the layers'
// reset_parameters() (and a test that perturbs a weight).
void note_weights_changed();
// How many times note_weights_changed() has been called (plus one): a copy made from weights at
// one epoch is stale at any later one.
uint64_t weights_epoch();

// What a copy of a weight matrix (packed, rounded, quantized, or a table made from it) was made
// from: the source [rows, cols], the matmul precision and the weights' epoch. A copy whose stamp
// differs from now(...)'s is stale. The default stamp (epoch 0) matches no copy.
struct WeightsStamp {
  const void* source = nullptr;
  int64_t rows = 0, cols = 0;
  Precision precision = Precision::F32;
  uint64_t epoch = 0;

  static WeightsStamp now(const void* source, int64_t rows, int64_t cols, Precision precision) {
    return {source, rows, cols, precision, weights_epoch()};
  }
  bool operator==(const WeightsStamp&) const = default;
};

// y[N] = W[N,K] x[K] + beta * y for a weight matrix W (dense rows) that a layer owns and a
// single input row: batch-1 generation, which reads every weight once per token and so runs at
// the speed of memory. On the AVX-512 and AVX2 paths it reads a copy of W packed for the panel
// kernel (panel_product.h), on the baseline path W itself (row_block_gemv.h); in the BF16 mode the
// copy holds W rounded to bfloat16 (half the bytes), each weight widened exactly and summed in
// float32, so the weights' rounding is the only difference. A copy is made on first use and again
// after note_weights_changed(). One object serves one thread at a time.
//
// A quantized model's products read int8 instead (read_int8()): a copy of W quantized per row
// (quantize_rows), which for the dequantized weights of a quantized file is that file's int8
// matrix bit for bit; the product is gemv::int8 (VNNI where the CPU path allows), or without
// VNNI on the panel kernel's paths the panel kernel over int8 panels (float32 activations).
class SingleRowProduct {
 public:
  void multiply(int64_t N, int64_t K, const float* W, const float* x, float beta, float* y);
  // Y[M,N] = X[M,K] W^T + beta * Y for M <= kMaxStepRows rows (a batched generation step): each
  // row's result is bit for bit what multiply() gives that row alone.
  void multiply_rows(int64_t M, int64_t N, int64_t K, const float* W, const float* X, int64_t ldx,
                     float beta, float* Y, int64_t ldy);
  // From now on, whatever the matmul precision (float copies made before are not the int8 one).
  void read_int8() {
    reads_int8_ = true;
    stamp_ = {};
  }

 private:
  bool reads_int8_ = false;
  Int8Rows int8_weights_;
  CacheAlignedVector<int8_t> int8_panels_;  // the panel kernel's, on CPUs without VNNI
  // Copies of W, each made on first use by the CPU path and precision that read it: the panel
  // kernel's panels (AVX-512) in float32 or bfloat16, or W's rows rounded to bfloat16 elsewhere.
  CacheAlignedVector<float> panels_;
  CacheAlignedVector<bf16> bf16_panels_;
  std::vector<bf16> bf16_rows_;
  WeightsStamp stamp_;  // what the copies were made of
  // The panel kernel takes the panels in turn in either order, so that those a core read last
  // are the first it reads again (panel_product::PanelOrder).
  bool descending_ = false;
};

}  // namespace rnnkit
