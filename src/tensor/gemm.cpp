#include "rnnkit/gemm.h"

#include <dnnl.h>
#include <omp.h>

#include <string>

#include "rnnkit/error.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

// y[N] = alpha * W[N,K] x[K] + beta * y: one dot product per output row. Batch-1 generation reads
// the weights once per token, so this is bound by memory bandwidth; oneDNN's sgemm is not tuned
// for M = 1.
RNNKIT_VECTOR_KERNEL void gemv_rows(int64_t N, int64_t K, float alpha, const float* W, int64_t ldw,
                                    const float* x, float beta, float* y) {
#pragma omp parallel for schedule(static) if (N * K > (1 << 18))
  for (int64_t n = 0; n < N; ++n) {
    const float* w = W + n * ldw;
    float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
    for (int64_t k = 0; k < K; ++k) acc += w[k] * x[k];
    y[n] = alpha * acc + (beta == 0.0f ? 0.0f : beta * y[n]);
  }
}

}  // namespace

void gemm(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (M == 0 || N == 0) return;
  if (M == 1 && trans_b == Trans::Yes) {
    gemv_rows(N, K, alpha, B, ldb, A, beta, C);
    return;
  }
  dnnl_status_t status =
      dnnl_sgemm(trans_a == Trans::Yes ? 'T' : 'N', trans_b == Trans::Yes ? 'T' : 'N', M, N, K,
                 alpha, A, lda, B, ldb, beta, C, ldc);
  if (status != dnnl_success)
    throw Error("sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") for " +
                std::to_string(M) + "x" + std::to_string(N) + "x" + std::to_string(K));
}

void set_num_threads(int threads) {
  if (threads < 1) throw Error("thread count must be at least 1, got " + std::to_string(threads));
  omp_set_num_threads(threads);
}

int num_threads() { return omp_get_max_threads(); }

}  // namespace rnnkit
