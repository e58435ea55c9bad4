#pragma once
#include <cstdint>

#include "rnnkit/bf16.h"

namespace rnnkit {

constexpr int32_t kIgnoreIndex = -100;  // torch.nn.CrossEntropyLoss's default ignore_index

struct CrossEntropySum {
  double loss_sum = 0;  // sum over the counted rows of -log softmax(logits)[target]
  int64_t count = 0;    // rows whose target is not ignore_index
};

// Fused softmax + cross-entropy over N rows of V logits (row stride ld). When grad is not null
// it receives grad_scale * (softmax - one_hot(target)) per counted row and zeros for ignored
// rows; grad may be the logits buffer itself, so the probabilities are never stored separately.
// Error on a target outside [0, V) that is not ignore_index.
CrossEntropySum softmax_cross_entropy(const float* logits, int64_t N, int64_t V, int64_t ld,
                                      const int32_t* targets, int32_t ignore_index, float* grad,
                                      float grad_scale);
// The same for logits that still lack the output layer's bias: it is added to each row (in
// place, ignored rows included) while the row is in cache, where a separate pass would read
// every logit once more from memory; the results are those of adding it first. With grad, for
// the output layer's backward, while each row is in cache: grad_rounded receives N x V
// bfloat16, to_bf16 of each element of grad (for products that read it in bf16);
// grad_column_sums (V floats) has grad's column sums added to it (the bias's gradient), summed
// by fixed blocks of rows, so that they do not depend on the thread count.
CrossEntropySum softmax_cross_entropy_with_bias(float* logits, const float* bias, int64_t N,
                                                int64_t V, int64_t ld, const int32_t* targets,
                                                int32_t ignore_index, float* grad, float grad_scale,
                                                bf16* grad_rounded = nullptr,
                                                float* grad_column_sums = nullptr);

// The loss of softmax(features W^T + bias) over V classes, the logits never stored: for each
// block of rows, blocks of their logits are computed into the L2 cache by rnnkit's panel kernel
// and each row's log-sum-exp gathered over them, where the stored way writes every logit to
// memory, then reads it back. features [N, F]; panels: W [V, F] packed by panel_product::pack
// (Trans::Yes). A row's loss does not depend on the thread count or on the rows beside it.
// Error on a target outside [0, V) that is not ignore_index.
CrossEntropySum linear_softmax_cross_entropy(const float* features, int64_t N, int64_t F,
                                             const float* panels, const float* bias, int64_t V,
                                             const int32_t* targets, int32_t ignore_index);
// Whether it runs here and pays: on the AVX-512 path (on the AVX2 one, with oneDNN limited to
// AVX2 as well, poetry evaluation was 5% slower on an Intel host), in float32
// products, with enough rows for the weight's packing and features whose panels stay in the
// cache.
bool linear_softmax_cross_entropy_suits(int64_t N, int64_t F);

// log-softmax of one row into out (may alias logits), for sampling and beam search.
void log_softmax(const float* logits, int64_t V, float* out);

}  // namespace rnnkit
