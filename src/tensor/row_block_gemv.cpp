#include "tensor/row_block_gemv.h"

#include <omp.h>

#include <string>
#include <type_traits>

#include "rnnkit/error.h"
#include "tensor/thread_share.h"

namespace rnnkit::row_block_gemv {
namespace {

// From 512 KB of float32 weights on, each core streams its own share of the weight rows.
constexpr int64_t kParallel = 1 << 17;

// One output in one compiled function, called for every output whatever M is, so its bits
// cannot depend on the batch. Sixteen independent lanes let the compiler
// vectorise it without reassociating a sum.
template <typename Weight>
[[gnu::noinline]] float dot(const Weight* w, const float* x, int64_t K) {
  constexpr int64_t kLanes = 16;
  auto widen = [](Weight v) {
    if constexpr (std::is_same_v<Weight, float>)
      return v;
    else
      return from_bf16(v);
  };
  float lanes[kLanes] = {};
  int64_t k = 0;
  for (; k + kLanes <= K; k += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) lanes[j] += widen(w[k + j]) * x[k + j];
  }
  for (int64_t j = 0; k + j < K; ++j) lanes[j] += widen(w[k + j]) * x[k + j];
  float sum = 0.0f;
  for (float lane : lanes) sum += lane;
  return sum;
}

template <typename Weight>
void rows_baseline(int64_t n0, int64_t n1, int64_t M, int64_t K, const Weight* W, const float* X,
                   int64_t ldx, float beta, float* Y, int64_t ldy) {
  for (int64_t n = n0; n < n1; ++n) {
    for (int64_t m = 0; m < M; ++m) {
      float& y = Y[m * ldy + n];
      y = dot(W + n * K, X + m * ldx, K) + (beta == 0.0f ? 0.0f : beta * y);
    }
  }
}

template <typename Weight>
void multiply(int64_t M, int64_t N, int64_t K, const Weight* W, const float* X, int64_t ldx,
              float beta, float* Y, int64_t ldy) {
  if (M < 0 || M > kMaxRows)
    throw Error("row_block_gemv: " + std::to_string(M) + " input rows, not 0.." +
                std::to_string(kMaxRows));
  if (N * K < kParallel) {
    rows_baseline(int64_t{0}, N, M, K, W, X, ldx, beta, Y, ldy);
    return;
  }
#pragma omp parallel
  {
    const auto [n0, n1] = thread_share(N);
    rows_baseline(n0, n1, M, K, W, X, ldx, beta, Y, ldy);
  }
}

}  // namespace

void f32(int64_t M, int64_t N, int64_t K, const float* W, const float* X, int64_t ldx, float beta,
         float* Y, int64_t ldy) {
  multiply(M, N, K, W, X, ldx, beta, Y, ldy);
}

void bf16(int64_t M, int64_t N, int64_t K, const rnnkit::bf16* W, const float* X, int64_t ldx,
          float beta, float* Y, int64_t ldy) {
  multiply(M, N, K, W, X, ldx, beta, Y, ldy);
}

}  // namespace rnnkit::row_block_gemv
