#include "rnnkit/precision.h"

#include <dnnl.h>

#include <atomic>

#include "rnnkit/error.h"
#include "tensor/onednn_matmul.h"

namespace rnnkit {
namespace {

std::atomic<Precision> precision{Precision::F32};

}  // namespace

bool bf16_matmuls_supported() {
  const auto isa = static_cast<unsigned>(dnnl_get_effective_cpu_isa());
  const auto needed = static_cast<unsigned>(dnnl_cpu_isa_avx512_core_bf16);
  return (isa & needed) == needed;
}

void set_matmul_precision(Precision p) {
  if (p == Precision::BF16 && !bf16_matmuls_supported())
    throw Error("bf16 matrix products need a CPU with AVX512_BF16 (and oneDNN allowed to use it)");
  precision.store(p);
}

Precision matmul_precision() {
  return precision.load(std::memory_order_relaxed);
}

bf16* MatmulOperand::prepare_rounded_by_caller(int64_t rows, int64_t cols, const float* X,
                                               int64_t ld) {
  precision_ = matmul_precision();
  rows_ = rows;
  cols_ = cols;
  ld_ = ld;
  f32_ = X;
  packed_.reset();
  if (precision_ != Precision::BF16) return nullptr;
  copy_.resize(static_cast<size_t>(rows * cols));
  return copy_.data();
}

void MatmulOperand::prepare(int64_t rows, int64_t cols, const float* X, int64_t ld, Reads reads) {
  if (bf16* copy = prepare_rounded_by_caller(rows, cols, X, ld))
    round_to_bf16(rows, cols, X, ld, copy, cols);
  // A new set of copies (prepare_rounded_by_caller dropped the old one, not cleared it: a copy of
  // this operand may still read it).
  if (precision_ == Precision::BF16 && reads == Reads::Many)
    packed_ = std::make_shared<onednn::PackedLayouts>();
}

}  // namespace rnnkit
