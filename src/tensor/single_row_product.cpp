#include "rnnkit/single_row_product.h"

#include <atomic>

#include "tensor/int8_gemv.h"
#include "tensor/panel_product.h"
#include "tensor/row_block_gemv.h"

namespace rnnkit {
namespace {

// Copies made at an older epoch are stale; a new SingleRowProduct (epoch 0) has none.
std::atomic<uint64_t> epoch_counter{1};

// Flips descending and gives the order it then says.
panel_product::PanelOrder flip(bool& descending) {
  descending = !descending;
  return descending ? panel_product::PanelOrder::Descending : panel_product::PanelOrder::Ascending;
}

}  // namespace

static_assert(kMaxStepRows <= row_block_gemv::kMaxRows);

void SingleRowProduct::multiply(int64_t N, int64_t K, const float* W, const float* x, float beta,
                                float* y) {
  multiply_rows(1, N, K, W, x, K, beta, y, N);
}

void SingleRowProduct::multiply_rows(int64_t M, int64_t N, int64_t K, const float* W,
                                     const float* X, int64_t ldx, float beta, float* Y,
                                     int64_t ldy) {
  if (reads_int8_) {
    // The int8 copy is the same whatever the matmul precision.
    const WeightsStamp now = WeightsStamp::now(W, N, K, Precision::F32);
    if (now != stamp_) {
      int8_weights_ = quantize_rows(N, K, W, K);
      int8_panels_.clear();
      stamp_ = now;
    }
    // Without VNNI each int8 weight is widened to float32: on the panel kernel's paths from its
    // panels (each output a chain of FMAs, then the row's scale), a batch's rows read once.
    if (gemv::int8_kernel() == gemv::Int8Kernel::Widened && panel_product::available()) {
      if (int8_panels_.empty())
        panel_product::pack_int8(K, N, int8_weights_.values.data(), int8_weights_.ld, int8_panels_);
      panel_product::multiply(M, N, K, int8_panels_.data(), int8_weights_.scales.data(), X, ldx,
                              beta, Y, ldy, flip(descending_));
      return;
    }
    gemv::int8(int8_weights_, M, X, ldx, beta, Y, ldy);
    return;
  }
  const Precision precision = matmul_precision();
  const WeightsStamp now = WeightsStamp::now(W, N, K, precision);
  if (now != stamp_) {
    stamp_ = now;
    panels_.clear();
    bf16_panels_.clear();
    bf16_rows_.clear();
  }
  // One kernel for one row and for several, so a batched step is exact by construction. On
  // AVX-512 and AVX2 that is the panel kernel, whose outputs need no horizontal sums: a step of
  // several rows costs little more than one (each weight read once for all), where the row-block
  // GEMV's per-output lane sums made it cost nearly as much per row as alone.
  const bool bf16 = precision == Precision::BF16;
  if (panel_product::available()) {
    if (bf16) {
      if (bf16_panels_.empty()) panel_product::pack_bf16(K, N, W, bf16_panels_);
      panel_product::multiply(M, N, K, bf16_panels_.data(), X, ldx, beta, Y, ldy,
                              flip(descending_));
    } else {
      if (panels_.empty()) panel_product::pack(Trans::Yes, K, N, W, K, panels_);
      panel_product::multiply(M, N, K, panels_.data(), X, ldx, beta, Y, ldy, nullptr,
                              flip(descending_));
    }
  } else if (bf16) {
    if (bf16_rows_.empty()) {
      bf16_rows_.resize(static_cast<size_t>(N * K));
      round_to_bf16(N, K, W, K, bf16_rows_.data(), K);
    }
    row_block_gemv::bf16(M, N, K, bf16_rows_.data(), X, ldx, beta, Y, ldy);
  } else {
    row_block_gemv::f32(M, N, K, W, X, ldx, beta, Y, ldy);
  }
}

void note_weights_changed() {
  epoch_counter.fetch_add(1);
}

uint64_t weights_epoch() {
  return epoch_counter.load();
}

}  // namespace rnnkit
