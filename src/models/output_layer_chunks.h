#pragma once
#include <cstdint>

#include "rnnkit/cross_entropy.h"
#include "rnnkit/language_model.h"
#include "rnnkit/linear.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// A language model's output layer (fc, then the softmax cross-entropy against the targets) over
// n rows of features, in chunks of rows so that the [n, V] logits are never stored whole: about
// 16 MB of logits at a time, which stay in the L3 cache between the product that writes them,
// the loss and the products that read their gradient. The weight is prepared once for all
// chunks (in bf16 precision: rounded, and packed for each of its two products), each chunk's
// logit gradient once for its two products, by the loss as it writes each row; a wide layer's
// float32 backward runs by shares of its outputs (linear_backward_by_outputs). A chunk's three
// parts are separate calls so that the step profile (bench/lm_profile.cpp) times this code, not a
// copy of it.
class OutputLayerChunks {
 public:
  // dfeatures (n rows of fc's inputs): null for the loss alone. The arguments must outlive the
  // object.
  OutputLayerChunks(Linear& fc, const float* features, int64_t n, const int32_t* targets,
                    float scale, float* dfeatures, Tensor& logits);

  int64_t count() const { return (n_ + chunk_rows_ - 1) / chunk_rows_; }
  // Chunk c's rows: [first_row(c), first_row(c) + rows_of(c)).
  int64_t first_row(int64_t c) const { return c * chunk_rows_; }
  int64_t rows_of(int64_t c) const;
  // Chunk c's logits, without the bias.
  void forward(int64_t c);
  // Adds the bias and returns the chunk's loss; with dfeatures, the logits become their gradient
  // (scaled by `scale`), which backward(c) then reads.
  CrossEntropySum loss(int64_t c);
  // With dfeatures: adds the chunk's share to fc's gradients and writes its rows of dfeatures.
  void backward(int64_t c);

  // Every chunk in turn: the summed loss. The loss alone (no dfeatures) runs
  // linear_softmax_cross_entropy where it suits: no chunk's logits are then stored.
  LossResult run();

 private:
  Linear& fc_;
  const float* features_;
  int64_t n_, chunk_rows_;
  const int32_t* targets_;
  float scale_;
  float* dfeatures_;
  Tensor& logits_;
};

}  // namespace rnnkit
