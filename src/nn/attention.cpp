#include "rnnkit/attention.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/gemm.h"

namespace rnnkit {

void DotProductAttention::forward(const Tensor& queries, const Tensor& keys, Tensor& context) {
  if (queries.ndim() != 3 || keys.ndim() != 3 || queries.dim(1) != keys.dim(1) ||
      queries.dim(2) != keys.dim(2) || queries.empty() || keys.empty())
    throw Error("attention: queries " + queries.shape_string() + " and keys " +
                keys.shape_string() + " must be non-empty [Tq,B,H] and [Tk,B,H]");
  const int64_t Tq = queries.dim(0), Tk = keys.dim(0), B = keys.dim(1), H = keys.dim(2);
  queries_ = &queries;
  keys_ = &keys;
  weights_.resize({Tq, B, Tk});
  context.resize({Tq, B, H});
  const int64_t ldq = B * H, ldw = B * Tk;
  for (int64_t b = 0; b < B; ++b) {
    const float* q = queries.data() + b * H;
    const float* k = keys.data() + b * H;
    float* w = weights_.data() + b * Tk;
    gemm(Trans::No, Trans::Yes, Tq, Tk, H, 1.0f, q, ldq, k, ldq, 0.0f, w, ldw);
    for (int64_t t = 0; t < Tq; ++t) {
      float* row = w + t * ldw;
      const float top = *std::max_element(row, row + Tk);
      float sum = 0.0f;
      for (int64_t s = 0; s < Tk; ++s) {
        row[s] = std::exp(row[s] - top);
        sum += row[s];
      }
      for (int64_t s = 0; s < Tk; ++s) row[s] /= sum;
    }
    gemm(Trans::No, Trans::No, Tq, H, Tk, 1.0f, w, ldw, k, ldq, 0.0f, context.data() + b * H, ldq);
  }
}

void DotProductAttention::backward(const Tensor& dcontext, Tensor& dqueries, Tensor& dkeys) {
  if (!queries_ || !keys_) throw Error("attention: backward without forward");
  const int64_t Tq = queries_->dim(0), Tk = keys_->dim(0), B = keys_->dim(1), H = keys_->dim(2);
  if (dcontext.shape() != queries_->shape() || dkeys.shape() != keys_->shape())
    throw Error("attention: backward got dcontext " + dcontext.shape_string() + " and dkeys " +
                dkeys.shape_string() + " for queries " + queries_->shape_string() + " and keys " +
                keys_->shape_string());
  dqueries.resize({Tq, B, H});
  dweights_.resize({Tq, B, Tk});
  const int64_t ldq = B * H, ldw = B * Tk;
  for (int64_t b = 0; b < B; ++b) {
    const float* q = queries_->data() + b * H;
    const float* k = keys_->data() + b * H;
    const float* dc = dcontext.data() + b * H;
    const float* a = weights_.data() + b * Tk;
    float* da = dweights_.data() + b * Tk;
    float* dk = dkeys.data() + b * H;
    // The keys as values: dk += a^T dc; the weights: da = dc k^T.
    gemm(Trans::Yes, Trans::No, Tk, H, Tq, 1.0f, a, ldw, dc, ldq, 1.0f, dk, ldq);
    gemm(Trans::No, Trans::Yes, Tq, Tk, H, 1.0f, dc, ldq, k, ldq, 0.0f, da, ldw);
    // Through the softmax: dscore = a * (da - sum_s a da), in place.
    for (int64_t t = 0; t < Tq; ++t) {
      const float* at = a + t * ldw;
      float* dt = da + t * ldw;
      float dot = 0.0f;
      for (int64_t s = 0; s < Tk; ++s) dot += at[s] * dt[s];
      for (int64_t s = 0; s < Tk; ++s) dt[s] = at[s] * (dt[s] - dot);
    }
    // The scores q . k: dq = dscore k, dk += dscore^T q.
    gemm(Trans::No, Trans::No, Tq, H, Tk, 1.0f, da, ldw, k, ldq, 0.0f, dqueries.data() + b * H,
         ldq);
    gemm(Trans::Yes, Trans::No, Tk, H, Tq, 1.0f, da, ldw, q, ldq, 1.0f, dk, ldq);
  }
}

}  // namespace rnnkit
