#pragma once
#include <bit>
#include <cstdint>
#include <memory>
#include <vector>

namespace rnnkit {

enum class Trans { No, Yes };

// C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, all row-major with leading dimensions.
// The one matrix-product entry point of rnnkit: oneDNN's AVX-512 sgemm for matrices, a
// bandwidth-bound GEMV for the single-row products of batch-1 generation.
void gemm(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc);

// Precision of gemm()'s matrix products (M > 1; its single-row products stay float32, the
// layers' batch-1 products go through SingleRowProduct). F32, the
// default, gives PyTorch's float32 results. BF16 rounds both inputs of each product to bfloat16
// and accumulates in float32 (AVX512_BF16 through oneDNN), with a relative error near 2^-9 per
// input; outputs, parameters, gradients and optimiser state stay float32. Whether it is faster
// depends on the CPU: it halves the bytes, and doubles the arithmetic rate only where the core
// issues vdpbf16ps as often as an FMA (docs/BENCHMARKS.md). Process-wide; set it before
// training or evaluation starts.
enum class Precision { F32, BF16 };
void set_matmul_precision(Precision precision);
Precision matmul_precision();

// bfloat16 storage: the upper 16 bits of a float, rounded to nearest even (NaN stays NaN).
using bf16 = uint16_t;
bf16 to_bf16(float x);
inline float from_bf16(bf16 x) {
  return std::bit_cast<float>(static_cast<uint32_t>(x) << 16);
}
// dst = to_bf16(src) for a rows x cols matrix (leading dimensions lds, ldd).
void round_to_bf16(int64_t rows, int64_t cols, const float* src, int64_t lds, bf16* dst,
                   int64_t ldd);

// gemm() on operands already rounded to bfloat16, for callers that reuse a rounded operand
// (weights across the time steps of a sequence) instead of rounding it in every product.
void gemm_bf16(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
               const bf16* A, int64_t lda, const bf16* B, int64_t ldb, float beta, float* C,
               int64_t ldc);

// y[N] = W[N,K] x[K] + beta * y for a weight matrix W (dense rows) that a layer owns and a
// single input row: batch-1 generation, which reads every weight once per token and so runs at
// the speed of memory. In float32 it is gemm()'s GEMV; in the BF16 mode it reads a bfloat16
// copy of W (half the bytes), widening each weight exactly and summing in float32, so the
// weights' rounding is the only difference. The copy is made on first use and again after
// note_weights_changed(). One object serves one thread at a time.
class SingleRowProduct {
 public:
  void multiply(int64_t N, int64_t K, const float* W, const float* x, float beta, float* y);

 private:
  std::vector<bf16> copy_;
  const float* source_ = nullptr;
  int64_t rows_ = 0, cols_ = 0;
  uint64_t epoch_ = 0;
};

// Marks every SingleRowProduct copy stale. Whatever rewrites weights that may already have been
// multiplied calls it: Optimizer::step() and the models' load_state_dict().
void note_weights_changed();

// The right operand op(B) [K,N] of many products C[M,N] = A[M,K] op(B) + beta * C that reuse it
// (W_hh across the time steps of a sequence), reordered once into the blocked layout that
// oneDNN's matmul kernels read, so that no product packs it again. The products run in the
// matmul precision current at pack() (bf16: A's rows are rounded on the fly). B must stay alive
// and unchanged until the last multiply(); threads may multiply concurrently.
class PackedMatrix {
 public:
  PackedMatrix();
  ~PackedMatrix();
  PackedMatrix(const PackedMatrix&) = delete;
  PackedMatrix& operator=(const PackedMatrix&) = delete;

  void pack(Trans trans_b, int64_t K, int64_t N, const float* B, int64_t ldb);
  void multiply(int64_t M, const float* A, int64_t lda, float beta, float* C, int64_t ldc);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Threads used by the GEMM backend and rnnkit's own parallel loops (OpenMP). By default rnnkit
// uses the cores that other processes leave free: adapt_threads_to_load(), which the language
// model calls at the start of each batch and each generated token, looks at most every 0.5 s at
// how much CPU time other processes took (/proc/stat) and sets the thread count to the free
// cores, so that a busy core does not stall every synchronisation of a parallel loop.
// set_num_threads(n) pins the count to n instead: the adaptive count can change the rounding of
// some sums in the last bits from run to run, a pinned one gives bitwise repeatable results.
void set_num_threads(int threads);
int num_threads();
void adapt_threads_to_load();

}  // namespace rnnkit
