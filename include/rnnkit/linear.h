#pragma once
#include <string>

#include "rnnkit/gemm.h"
#include "rnnkit/parameter.h"
#include "rnnkit/rng.h"

namespace rnnkit {

// torch.nn.Linear: y = x W^T + b with W [out_features, in_features]. The weight may be shared
// with another parameter of the same shape (an output layer tied to the embedding).
class Linear {
 public:
  Linear(int64_t in_features, int64_t out_features, const std::string& prefix = "fc",
         Parameter* shared_weight = nullptr);

  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  Parameter& weight() { return shared_weight_ ? *shared_weight_ : own_weight_; }
  const Parameter& weight() const { return shared_weight_ ? *shared_weight_ : own_weight_; }
  bool weight_is_shared() const { return shared_weight_ != nullptr; }
  ParameterList parameters();  // the bias only when the weight is shared
  // PyTorch's default: weight and bias uniform in (-1/sqrt(in), 1/sqrt(in)); a shared weight is
  // left to its owner.
  void reset_parameters(Rng& rng);
  // Its batch-1 product reads an int8 copy of the weight (a quantized model; SingleRowProduct).
  void read_int8_weights() { single_row_.read_int8(); }

  // x: n rows (stride ldx) -> y: n rows of out_features (stride ldy).
  void forward(const float* x, int64_t ldx, int64_t n, float* y, int64_t ldy) const;
  // Accumulates dW and db; dx (stride ldx) is overwritten when not null.
  void backward(const float* x, int64_t ldx, int64_t n, const float* dy, int64_t ldy, float* dx,
                int64_t lddx);

  Parameter bias;

 private:
  int64_t in_features_, out_features_;
  Parameter own_weight_;
  Parameter* shared_weight_;
  mutable SingleRowProduct single_row_;
};

}  // namespace rnnkit
