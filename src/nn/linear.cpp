#include "rnnkit/linear.h"

#include <cmath>

#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/single_row_product.h"
#include "tensor/row_ops.h"

namespace rnnkit {

Linear::Linear(int64_t in_features, int64_t out_features, const std::string& prefix,
               Parameter* shared_weight)
    : bias(prefix + ".bias", {out_features}),
      in_features_(in_features),
      out_features_(out_features),
      own_weight_(shared_weight ? Parameter()
                                : Parameter(prefix + ".weight", {out_features, in_features})),
      shared_weight_(shared_weight) {
  if (in_features <= 0 || out_features <= 0)
    throw Error("linear layer sizes must be positive (in " + std::to_string(in_features) +
                ", out " + std::to_string(out_features) + ")");
  if (shared_weight && shared_weight->value.shape() != Shape{out_features, in_features})
    throw Error("cannot tie a linear layer of shape " + shape_string({out_features, in_features}) +
                " to " + shared_weight->name + " of shape " + shared_weight->value.shape_string());
}

ParameterList Linear::parameters() {
  if (shared_weight_) return {&bias};
  return {&own_weight_, &bias};
}

void Linear::reset_parameters(Rng& rng) {
  const float k = 1.0f / std::sqrt(static_cast<float>(in_features_));
  if (!shared_weight_)
    for (float& v : own_weight_.value.span()) v = rng.uniform(-k, k);
  for (float& v : bias.value.span()) v = rng.uniform(-k, k);
  note_weights_changed();
}

void Linear::forward(const float* x, int64_t ldx, int64_t n, float* y, int64_t ldy) const {
  if (n <= kMaxStepRows)
    single_row_.multiply_rows(n, out_features_, in_features_, weight().value.data(), x, ldx, 0.0f,
                              y, ldy);
  else
    gemm(Trans::No, Trans::Yes, n, out_features_, in_features_, 1.0f, x, ldx, weight().value.data(),
         in_features_, 0.0f, y, ldy);
  rows::add_bias(n, out_features_, y, ldy, bias.value.data());
}

void Linear::backward(const float* x, int64_t ldx, int64_t n, const float* dy, int64_t ldy,
                      float* dx, int64_t lddx) {
  gemm(Trans::Yes, Trans::No, out_features_, in_features_, n, 1.0f, dy, ldy, x, ldx, 1.0f,
       weight().grad.data(), in_features_);
  rows::add_column_sums(n, out_features_, dy, ldy, bias.grad.data());
  if (dx)
    gemm(Trans::No, Trans::No, n, in_features_, out_features_, 1.0f, dy, ldy, weight().value.data(),
         in_features_, 0.0f, dx, lddx);
}

}  // namespace rnnkit
