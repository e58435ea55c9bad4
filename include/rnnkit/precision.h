#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "rnnkit/bf16.h"

namespace rnnkit {
namespace onednn {
class PackedLayouts;
}

// Precision of rnnkit's matrix products. F32, the default, gives PyTorch's float32 results.
// BF16 rounds both inputs of each product to bfloat16 and accumulates in float32 (AVX512_BF16
// through oneDNN), with a relative error near 2^-9 per input; outputs, parameters, gradients and
// optimiser state stay float32. gemm()'s single-row products stay float32; the layers' batch-1
// products (SingleRowProduct) read bfloat16 copies of the weights. Whether BF16 is faster depends
// on the CPU: it halves the bytes, and doubles the arithmetic rate only where the core issues
// vdpbf16ps as often as an FMA (docs/BENCHMARKS.md). Process-wide; set it before training or
// evaluation starts.
enum class Precision { F32, BF16 };
// BF16 where bf16_matmuls_supported() is false is an Error.
void set_matmul_precision(Precision precision);
Precision matmul_precision();
// Whether oneDNN may use AVX512_BF16 here: the CPU has it and ONEDNN_MAX_CPU_ISA allows it.
bool bf16_matmuls_supported();

// A matrix that products read, in the matmul precision current when it was prepared: in F32 the
// float32 matrix itself (which must outlive the products), in BF16 a dense bfloat16 copy that
// the operand owns. The one place that turns the precision into data: layers prepare their
// operands and multiply them with gemm(), so an operand that several products read is rounded
// once, and no layer asks which precision is in force.
class MatmulOperand {
 public:
  // How many products read the operand before it is prepared again. Many: in BF16, the products
  // that read it as their right operand read a copy packed once into the blocked layout of
  // oneDNN's kernels (per layout asked for), where a plain operand is packed again by every
  // product: an output layer's weight, read by each chunk of rows (measured on a Zen 4 host:
  // its chunks' products 13-26% faster).
  enum class Reads { Once, Many };
  // X: rows x cols floats, ld apart.
  void prepare(int64_t rows, int64_t cols, const float* X, int64_t ld, Reads reads = Reads::Once);
  // As prepare (Reads::Once), but in BF16 the caller writes the rounded copy, to_bf16 of each
  // element, into the returned rows x cols buffer (dense) before a product reads the operand:
  // the code that writes X rounds each row while it is in cache, where prepare would read X
  // again. Null in F32.
  bf16* prepare_rounded_by_caller(int64_t rows, int64_t cols, const float* X, int64_t ld);

  Precision precision() const { return precision_; }
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  int64_t ld() const { return precision_ == Precision::F32 ? ld_ : cols_; }
  const float* f32() const { return f32_; }             // F32 operands
  const bf16* rounded() const { return copy_.data(); }  // BF16 operands
  // The packed copies of a BF16 operand prepared for Reads::Many, else null.
  onednn::PackedLayouts* packed() const { return packed_.get(); }

 private:
  Precision precision_ = Precision::F32;
  int64_t rows_ = 0, cols_ = 0, ld_ = 0;
  const float* f32_ = nullptr;
  std::vector<bf16> copy_;
  std::shared_ptr<onednn::PackedLayouts> packed_;
};

}  // namespace rnnkit
