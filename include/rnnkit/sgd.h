#pragma once
#include "rnnkit/optimizer.h"

namespace rnnkit {

// torch.optim.SGD's hyperparameters and defaults (lr has no default in PyTorch).
struct SGDOptions {
  double lr = 0.1;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

// torch.optim.SGD: d = grad + weight_decay * param; with momentum, buf = d on the first step and
// buf = momentum * buf + (1 - dampening) * d afterwards, d = buf (or d + momentum * buf with
// nesterov); param -= lr * d.
class SGD : public Optimizer {
 public:
  // Throws Error for negative or non-finite hyperparameters, and for nesterov without momentum or
  // with dampening (as PyTorch does).
  SGD(ParameterList params, SGDOptions options);

  // "optim.momentum_buffer.<name>" when momentum != 0; nothing otherwise.
  std::vector<std::pair<std::string, Tensor*>> state_tensors() override;
  const SGDOptions& options() const { return options_; }

 protected:
  void update(float grad_scale, bool zero_grads) override;

 private:
  SGDOptions options_;
  std::vector<Tensor> momentum_buffers_;
};

}  // namespace rnnkit
