#include "rnnkit/gemm.h"

#include <dnnl.h>

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "rnnkit/error.h"
#include "tensor/gemv.h"
#include "tensor/onednn_matmul.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

using onednn::data_type;

// oneDNN 2.6's AVX2 sgemm reads a transposed A across its rows, and rows a multiple of 4 KiB
// apart fall into the same sets of the L1 cache: on a Zen 3, the weight gradient of a 256-wide
// LSTM (C [1024, 256] = A^T B over 15,872 rows of 4 KiB) ran at 28-43 GFLOP/s, computed as its
// transpose (C^T = B^T A, the rows of B 1 KiB apart) and added back at 68-73 (BM_GemmF32 before
// and after). Where oneDNN runs its AVX2 kernels, such products take that way.
bool transposed_is_faster(Trans trans_a, int64_t lda, Trans trans_b, int64_t ldb) {
  static const bool avx2_sgemm = [] {
    const auto isa = dnnl_get_effective_cpu_isa();
    return isa == dnnl_cpu_isa_avx2 || isa == dnnl_cpu_isa_avx2_vnni;
  }();
  const auto aliased = [](int64_t ld) { return ld % 1024 == 0; };
  return avx2_sgemm && trans_a == Trans::Yes && aliased(lda) &&
         !(trans_b == Trans::No && aliased(ldb));
}

void check(dnnl_status_t status, int64_t M, int64_t N, int64_t K) {
  if (status != dnnl_success)
    throw Error("sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") for " +
                onednn::shape_of(M, N, K));
}

void gemm_f32(Trans trans_a, Trans trans_b, int64_t M, int64_t N, int64_t K, float alpha,
              const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
              int64_t ldc) {
  if (M == 1 && trans_b == Trans::Yes) {
    gemv::f32(N, K, alpha, B, ldb, A, beta, C);
    return;
  }
  if (transposed_is_faster(trans_a, lda, trans_b, ldb)) {
    // C^T [N, M] = op(B)^T op(A)^T, with op(A)^T = A as stored.
    thread_local std::vector<float> transposed;
    transposed.resize(static_cast<size_t>(N * M));
    check(dnnl_sgemm(trans_b == Trans::Yes ? 'N' : 'T', 'N', N, M, K, alpha, B, ldb, A, lda, 0.0f,
                     transposed.data(), M),
          M, N, K);
    rows::add_transposed(M, N, transposed.data(), M, beta, C, ldc);
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
