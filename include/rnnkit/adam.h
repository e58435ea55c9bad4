#pragma once
#include <string_view>

#include "rnnkit/optimizer.h"

namespace rnnkit {

// torch.optim.Adam's hyperparameters and defaults; decoupled_weight_decay = true makes it
// torch.optim.AdamW (whose default weight_decay of 1e-2 is the caller's to set).
struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  bool decoupled_weight_decay = false;
  bool amsgrad = false;
};

// torch.optim.Adam / AdamW. At step t: Adam adds weight_decay * param to the grad (L2), AdamW
// first scales param by 1 - lr * weight_decay; then
//   exp_avg = beta1 * exp_avg + (1 - beta1) * g,  exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) *
//   g^2 denom = sqrt(exp_avg_sq) / sqrt(1 - beta2^t) + eps      (max of exp_avg_sq so far with
//   amsgrad) param -= lr / (1 - beta1^t) * exp_avg / denom
class Adam : public Optimizer {
 public:
  // Throws Error for a negative lr, eps or weight_decay and for betas outside [0, 1).
  Adam(ParameterList params, AdamOptions options);

  // "optim.exp_avg.<name>", "optim.exp_avg_sq.<name>", and "optim.max_exp_avg_sq.<name>" with
  // amsgrad.
  std::vector<std::pair<std::string, Tensor*>> state_tensors() override;
  // The state tensors that hold +inf in a run that goes on: a squared gradient beyond float's
  // range (a gradient above 1.8e19, the loss and weights finite) overflows them, and each such
  // element's update is 0 from then on, as in PyTorch.
  static constexpr std::string_view kOverflowingState[] = {"optim.exp_avg_sq.",
                                                           "optim.max_exp_avg_sq."};
  const AdamOptions& options() const { return options_; }

 protected:
  void update(float grad_scale, bool zero_grads) override;

 private:
  AdamOptions options_;
  std::vector<Tensor> exp_avgs_;
  std::vector<Tensor> exp_avg_sqs_;
  std::vector<Tensor> max_exp_avg_sqs_;
};

}  // namespace rnnkit
