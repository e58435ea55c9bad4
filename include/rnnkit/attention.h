#pragma once
#include "rnnkit/tensor.h"

namespace rnnkit {

// Dot-product attention over a memory of encoder states: Luong's "dot" score, the TimeAttention
// of Deep Learning from Scratch 2 (ch. 8). For every query q = queries[t, b] and the memory
// m[s] = keys[s, b] of its sequence (the keys double as the values):
//   score[s] = q . m[s],   a = softmax_s(score),   context[t, b] = sum_s a[s] m[s]
// Time-major like the recurrent layers: queries [Tq,B,H], keys [Tk,B,H], context [Tq,B,H],
// weights [Tq,B,Tk]. The layer has no parameters. Every key counts: seq2seq batches hold
// questions of equal length, so there is no padding to mask.
class DotProductAttention {
 public:
  // queries and keys are kept by reference until backward. Error for mismatched or empty shapes.
  void forward(const Tensor& queries, const Tensor& keys, Tensor& context);
  // The attention weights of the last forward, [Tq,B,Tk].
  const Tensor& weights() const { return weights_; }
  // dcontext [Tq,B,H] -> dqueries [Tq,B,H] (overwritten); dkeys [Tk,B,H] is accumulated into
  // (zero it first), since the keys usually receive gradients from elsewhere too.
  void backward(const Tensor& dcontext, Tensor& dqueries, Tensor& dkeys);

 private:
  const Tensor* queries_ = nullptr;
  const Tensor* keys_ = nullptr;
  Tensor weights_, dweights_;
};

}  // namespace rnnkit
