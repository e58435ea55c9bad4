#include "models/output_layer_chunks.h"

#include <algorithm>

#include "rnnkit/gemm.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/threads.h"
#include "tensor/linear_backward.h"
#include "tensor/panel_product.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

// The prepared operands, kept from step to step.
struct Operands {
  MatmulOperand weight, chunk_features, chunk_dlogits;
  // The weight [V, F] packed for linear_softmax_cross_entropy (float32 in every precision), kept
  // until the weights change: an evaluation of many batches packs once.
  CacheAlignedVector<float> weight_panels;
  WeightsStamp panels_stamp;

  const float* panels_of(const float* weight, int64_t V, int64_t F) {
    const WeightsStamp now = WeightsStamp::now(weight, V, F, Precision::F32);
    if (now != panels_stamp) {
      panel_product::pack(Trans::Yes, F, V, weight, F, weight_panels);
      panels_stamp = now;
    }
    return weight_panels.data();
  }
};

Operands& operands() {
  thread_local Operands ops;
  return ops;
}

}  // namespace

OutputLayerChunks::OutputLayerChunks(Linear& fc, const float* features, int64_t n,
                                     const int32_t* targets, float scale, float* dfeatures,
                                     Tensor& logits)
    : fc_(fc),
      features_(features),
      n_(n),
      chunk_rows_(std::max<int64_t>(1, (int64_t{1} << 22) / fc.out_features())),
      targets_(targets),
      scale_(scale),
      dfeatures_(dfeatures),
      logits_(logits) {
  const int64_t F = fc.in_features(), V = fc.out_features();
  operands().weight.prepare(V, F, fc.weight().value.data(), F, MatmulOperand::Reads::Many);
}

int64_t OutputLayerChunks::rows_of(int64_t c) const {
  return std::min(chunk_rows_, n_ - first_row(c));
}

void OutputLayerChunks::forward(int64_t c) {
  const int64_t F = fc_.in_features(), V = fc_.out_features(), m = rows_of(c);
  Operands& ops = operands();
  logits_.resize({m, V});
  ops.chunk_features.prepare(m, F, features_ + first_row(c) * F, F);
  gemm(Trans::No, Trans::Yes, 1.0f, ops.chunk_features, ops.weight, 0.0f, logits_.data(), V);
}

CrossEntropySum OutputLayerChunks::loss(int64_t c) {
  const int64_t V = fc_.out_features(), m = rows_of(c);
  // In bf16 the gradient's copy for the backward products and the bias's gradient are taken
  // row by row as the loss writes it (a float32 backward by outputs sums the bias's gradient
  // from its blocks in the L2 cache).
  bf16* rounded = dfeatures_
                      ? operands().chunk_dlogits.prepare_rounded_by_caller(m, V, logits_.data(), V)
                      : nullptr;
  return softmax_cross_entropy_with_bias(logits_.data(), fc_.bias.value.data(), m, V, V,
                                         targets_ + first_row(c), kIgnoreIndex,
                                         dfeatures_ ? logits_.data() : nullptr, scale_, rounded,
                                         rounded ? fc_.bias.grad.data() : nullptr);
}

void OutputLayerChunks::backward(int64_t c) {
  if (!dfeatures_) return;
  const int64_t F = fc_.in_features(), V = fc_.out_features(), m = rows_of(c);
  Operands& ops = operands();
  if (ops.chunk_dlogits.precision() == Precision::F32 &&
      linear_backward_by_outputs_suits(V, F, num_threads())) {
    linear_backward_by_outputs(m, V, F, logits_.data(), V, ops.chunk_features.f32(), F,
                               fc_.weight().value.data(), fc_.weight().grad.data(),
                               fc_.bias.grad.data(), dfeatures_ + first_row(c) * F, F);
    return;
  }
  gemm(Trans::Yes, Trans::No, 1.0f, ops.chunk_dlogits, ops.chunk_features, 1.0f,
       fc_.weight().grad.data(), F);
  if (ops.chunk_dlogits.precision() == Precision::F32)  // in bf16 the loss has summed them
    rows::add_column_sums(m, V, logits_.data(), V, fc_.bias.grad.data());
  gemm(Trans::No, Trans::No, 1.0f, ops.chunk_dlogits, ops.weight, 0.0f,
       dfeatures_ + first_row(c) * F, F);
}

LossResult OutputLayerChunks::run() {
  const int64_t F = fc_.in_features(), V = fc_.out_features();
  if (!dfeatures_ && linear_softmax_cross_entropy_suits(n_, F)) {
    const float* panels = operands().panels_of(fc_.weight().value.data(), V, F);
    const CrossEntropySum ce = linear_softmax_cross_entropy(
        features_, n_, F, panels, fc_.bias.value.data(), V, targets_, kIgnoreIndex);
    return {ce.loss_sum, ce.count};
  }
  LossResult result;
  for (int64_t c = 0; c < count(); ++c) {
    forward(c);
    const CrossEntropySum ce = loss(c);
    result.loss_sum += ce.loss_sum;
    result.count += ce.count;
    backward(c);
  }
  return result;
}

}  // namespace rnnkit
