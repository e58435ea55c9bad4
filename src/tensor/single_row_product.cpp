#include "rnnkit/single_row_product.h"

#include <atomic>

#include "tensor/gemv.h"
#include "tensor/int8_gemv.h"

namespace rnnkit {
namespace {

// Copies made at an older epoch are stale; a new SingleRowProduct (epoch 0) has none.
std::atomic<uint64_t> weights_epoch{1};

}  // namespace

void SingleRowProduct::multiply(int64_t N, int64_t K, const float* W, const float* x, float beta,
                                float* y) {
  const uint64_t epoch = weights_epoch.load();
  if (reads_int8_) {
    if (epoch != epoch_ || W != source_ || N != int8_weights_.rows || K != int8_weights_.cols) {
      int8_weights_ = quantize_rows(N, K, W, K);
      source_ = W;
      epoch_ = epoch;
    }
    return gemv::int8(int8_weights_, x, beta, y);
  }
  if (epoch != epoch_ || W != source_ || N != weights_.rows() || K != weights_.cols() ||
      weights_.precision() != matmul_precision()) {
    weights_.prepare(N, K, W, K);
    source_ = W;
    epoch_ = epoch;
  }
  if (weights_.precision() == Precision::F32)
    gemv::f32(N, K, 1.0f, W, K, x, beta, y);
  else
    gemv::bf16(N, K, weights_.rounded(), x, beta, y);
}

void note_weights_changed() {
  weights_epoch.fetch_add(1);
}

}  // namespace rnnkit
