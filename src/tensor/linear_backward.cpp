#include "tensor/linear_backward.h"

#include <omp.h>

#include <algorithm>
#include <exception>
#include <vector>

#include "rnnkit/cache_aligned.h"
#include "rnnkit/gemm.h"
#include "tensor/row_ops.h"
#include "tensor/thread_share.h"

namespace rnnkit {
namespace {

// 128 columns of a 505-row chunk of the poetry model's logit gradient: 253 KB, half the L2 cache
// of a Zen 3 core.
constexpr int64_t kColumns = 128;
constexpr int64_t kLeastBlocksPerThread = 4;

}  // namespace

bool linear_backward_by_outputs_suits(int64_t V, int64_t F, int threads) {
  return V >= kColumns * kLeastBlocksPerThread * threads && F <= 2 * kColumns;
}

void linear_backward_by_outputs(int64_t m, int64_t V, int64_t F, const float* dY, int64_t ldy,
                                const float* X, int64_t ldx, const float* W, float* dW, float* db,
                                float* dX, int64_t lddx) {
  std::vector<float*> shares;
  // An exception must not leave a parallel region: the first is kept and thrown after it.
  std::exception_ptr error;
#pragma omp parallel
  {
    const int t = omp_get_thread_num(), threads = omp_get_num_threads();
#pragma omp single
    shares.assign(static_cast<size_t>(threads), nullptr);
    try {
      thread_local CacheAlignedVector<float> own;
      float* share = dX;
      int64_t ld = lddx;
      if (t > 0) {
        own.resize(static_cast<size_t>(m * F));
        share = own.data();
        ld = F;
      }
      const auto [v0, v1] = thread_share_of_lines(V);
      if (v0 == v1) rows::zero(m, F, share, ld);
      for (int64_t c0 = v0; c0 < v1; c0 += kColumns) {
        const int64_t w = std::min(kColumns, v1 - c0);
        gemm(Trans::Yes, Trans::No, w, F, m, 1.0f, dY + c0, ldy, X, ldx, 1.0f, dW + c0 * F, F);
        rows::add_column_sums(m, w, dY + c0, ldy, db + c0);
        gemm(Trans::No, Trans::No, m, F, w, 1.0f, dY + c0, ldy, W + c0 * F, F,
             c0 == v0 ? 0.0f : 1.0f, share, ld);
      }
      shares[static_cast<size_t>(t)] = share;
    } catch (...) {
#pragma omp critical(rnnkit_linear_backward_error)
      if (!error) error = std::current_exception();
    }
#pragma omp barrier
    if (!error) {
      const auto [r0, r1] = thread_share(m);
      for (int p = 1; p < threads; ++p) {
        const float* part = shares[static_cast<size_t>(p)];
        for (int64_t r = r0; r < r1; ++r)
          for (int64_t f = 0; f < F; ++f) dX[r * lddx + f] += part[r * F + f];
      }
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace rnnkit
