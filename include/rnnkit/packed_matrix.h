#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "rnnkit/precision.h"
#include "rnnkit/trans.h"

namespace rnnkit {

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
  // C = A op(B) + beta * C, or + beta * c_rows[m] for row m when c_rows is not null (M rows of
  // N kept elsewhere, read where they are).
  void multiply(int64_t M, const float* A, int64_t lda, float beta, float* C, int64_t ldc,
                const float* const* c_rows = nullptr);
  // The primitives made so far: one per row count, beta and thread count.
  size_t primitive_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rnnkit
