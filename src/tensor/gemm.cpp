#include "rnnkit/gemm.h"

#include <dnnl.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "rnnkit/error.h"
#include "tensor/gemv.h"
#include "tensor/onednn_matmul.h"
#include "tensor/row_ops.h"
#include "tensor/thread_share.h"

namespace rnnkit {
namespace {

using onednn::data_type;

// oneDNN 2.6's AVX2 sgemm reads a transposed A across its rows, and rows a multiple of 2 or 4 KiB
// apart fall into the same sets of the L1 cache: on a Zen 3, the weight gradient of a 256-wide
// LSTM (C [1024, 256] = A^T B over 15,872 rows of 4 KiB) ran at 38-44 GFLOP/s on one thread
// with its operands 64-byte aligned, as rnnkit's tensors are (the eleventh session's remedy,
// computing C^T = B^T A, was measured on the 16-byte aligned blocks of malloc, and helped only
// those), and at 68-72 on two. Where oneDNN runs its AVX2 kernels, such an A is transposed first,
// kTransposedDepth of its rows at a time, into a buffer that stays in the L2 cache, and each
// chunk's product added to C: 65-77 GFLOP/s on one thread, 118-127 on two (BM_GemmF32 with tA,
// bench/results/micro-avx2-transposed-*.jsonl). With rows 2 KiB apart it gained 25-40%. At 1 and
// 3 KiB (the d2l RNN's and GRU's) it gained 15-35% on one thread but was even on two, at 10.4
// KiB (PTB-medium's) even or slower (micro-avx2-strides-*.jsonl): those stay with oneDNN. Its
// AVX-512 sgemm suffers the same and takes the same remedy: on the AMX host the gradient above ran
// at 104 GFLOP/s on one thread and 198 on two, transposed first at 143 and 285 (its 1,024 x 128
// twin: 88 -> 126 and 177 -> 261; bench/results/micro-avx512-transposed-*.jsonl); at 2 KiB (512 x
// 128) it was faster on one thread and even on two (not recorded).
bool transposes_a_first(Trans trans_a, int64_t lda, int64_t K) {
  static const bool runs_avx2_or_avx512 = [] {
    const int isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2;
  }();
  return runs_avx2_or_avx512 && trans_a == Trans::Yes && lda % 512 == 0 && K > 0;
}

constexpr int64_t kTransposedDepth = 256;

void check(dnnl_status_t status, int64_t M, int64_t N, int64_t K) {
  if (status != dnnl_success)
    throw Error("sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") for " +
                onednn::shape_of(M, N, K));
}

// C = alpha A^T op(B) + beta C with A [K, M] as stored. Each thread takes a block of C's rows
// (whole cache lines of op(A)'s columns) and transposes A's rows k0.. for them into a buffer of
// its own, [rows, depth], multiplying each chunk into its rows of C (oneDNN runs one thread
// inside the region): the threads share no chunk and meet once, at the end.
void gemm_transposing_a(Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                        int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                        int64_t ldc) {
  dnnl_status_t status = dnnl_success;
#pragma omp parallel if (M * N * K >= (int64_t{1} << 22) && !omp_in_parallel())
  {
    const auto [m0, m1] = thread_share_of_lines(M);
    const int64_t rows = m1 - m0;
    thread_local std::vector<float> chunk;
    chunk.resize(static_cast<size_t>(rows * std::min(K, kTransposedDepth)));
    for (int64_t k0 = 0; rows > 0 && k0 < K; k0 += kTransposedDepth) {
      const int64_t depth = std::min(kTransposedDepth, K - k0);
      rows::transpose(depth, rows, A + k0 * lda + m0, lda, chunk.data(), depth);
      const dnnl_status_t s =
          dnnl_sgemm('N', trans_b == Trans::Yes ? 'T' : 'N', rows, N, depth, alpha, chunk.data(),
                     depth, trans_b == Trans::Yes ? B + k0 : B + k0 * ldb, ldb,
                     k0 == 0 ? beta : 1.0f, C + m0 * ldc, ldc);
      if (s != dnnl_success) {
#pragma omp critical(rnnkit_gemm_status)
        status = s;
        break;
      }
    }
  }
  check(status, M, N, K);
}

void gemm_f32(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc) {
  if (M == 1 && trans_b == Trans::Yes) {
    gemv::f32(N, K, alpha, B, ldb, A, beta, C);
    return;
  }
  if (transposes_a_first(trans_a, lda, K)) {
    gemm_transposing_a(trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  check(dnnl_sgemm(trans_a == Trans::Yes ? 'T' : 'N', trans_b == Trans::Yes ? 'T' : 'N', M, N, K,
                   alpha, A, lda, B, ldb, beta, C, ldc),
        M, N, K);
}

// bf16 matmul primitives, one per product shape, thread count (onednn::creation_threads) and
// layout of B (plain, or the blocked layout of a packed operand): creating one costs far more
// than running a per-step product, and the shapes of a training run repeat.
class Bf16Matmuls {
 public:
  void run(Trans ta, Trans tb, int64_t M, int64_t N, int64_t K, float alpha, const bf16* A,
           int64_t lda, const bf16* B, int64_t ldb, onednn::PackedLayouts* packed_b, float beta,
           float* C, int64_t ldc) {
    const auto plain_b = onednn::matrix_desc(K, N, data_type::bf16, tb, ldb);
    const onednn::Matmul* m = nullptr;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const bool packed = packed_b != nullptr;
      const Key key{ta,  tb,  M,     N,    K,      lda,
                    ldb, ldc, alpha, beta, packed, onednn::creation_threads()};
      auto it = cache_.find(key);
      if (it == cache_.end()) {
        const auto a = onednn::matrix_desc(M, K, data_type::bf16, ta, lda);
        const auto b =
            packed_b ? dnnl::memory::desc({K, N}, data_type::bf16, dnnl::memory::format_tag::any)
                     : plain_b;
        const auto c = onednn::matrix_desc(M, N, data_type::f32, Trans::No, ldc);
        const auto pd = onednn::matmul_desc(a, b, c, alpha, beta);
        it = cache_
                 .emplace(key, onednn::Matmul{dnnl::matmul(pd), a, pd.weights_desc(), c,
                                              pd.scratchpad_desc()})
                 .first;
      }
      m = &it->second;
    }
    onednn::execute(*m, A, packed_b ? packed_b->get(m->b, plain_b, B) : B, C);
  }

 private:
  using Key = std::tuple<Trans, Trans, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, float,
                         float, bool, int>;
  std::mutex mutex_;
  std::map<Key, onednn::Matmul> cache_;
};

Bf16Matmuls& bf16_matmuls() {
  static Bf16Matmuls matmuls;
  return matmuls;
}

}  // namespace

void gemm(Trans trans_a, Trans trans_b, float alpha, const MatmulOperand& A, const MatmulOperand& B,
          float beta, float* C, int64_t ldc) {
  const int64_t M = trans_a == Trans::No ? A.rows() : A.cols();
  const int64_t K = trans_a == Trans::No ? A.cols() : A.rows();
  const int64_t N = trans_b == Trans::No ? B.cols() : B.rows();
  if (K != (trans_b == Trans::No ? B.rows() : B.cols()))
    throw Error("matrix product of mismatched operands: " + onednn::shape_of(M, N, K));
  if (A.precision() != B.precision())
    throw Error("matrix product of operands prepared in different precisions");
  if (M == 0 || N == 0) return;
  if (A.precision() == Precision::F32)
    gemm_f32(trans_a, trans_b, M, N, K, alpha, A.f32(), A.ld(), B.f32(), B.ld(), beta, C, ldc);
  else
    bf16_matmuls().run(trans_a, trans_b, M, N, K, alpha, A.rounded(), A.ld(), B.rounded(), B.ld(),
                       B.packed(), beta, C, ldc);
}

void gemm(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
          const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
          int64_t ldc) {
  if (M == 0 || N == 0) return;
  // Single rows (the products of generation) and empty sums stay float32 in every precision.
  if (M == 1 || K == 0) {
    gemm_f32(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  thread_local MatmulOperand a, b;
  a.prepare(trans_a == Trans::No ? M : K, trans_a == Trans::No ? K : M, A, lda);
  b.prepare(trans_b == Trans::No ? K : N, trans_b == Trans::No ? N : K, B, ldb);
  gemm(trans_a, trans_b, alpha, a, b, beta, C, ldc);
}

}  // namespace rnnkit
