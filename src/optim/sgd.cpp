#include "rnnkit/sgd.h"

#include <cmath>

#include "optim/update_blocks.h"
#include "rnnkit/error.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

void check_hyperparameter(const char* name, double value) {
  if (!std::isfinite(value) || value < 0)
    throw Error(std::string("invalid SGD ") + name + " " + std::to_string(value) +
                ": must be finite and >= 0");
}

// The scalars of one update, rounded to float where PyTorch's kernels receive them.
struct SGDScalars {
  float weight_decay;
  float momentum;
  float one_minus_dampening;
  float neg_lr;
  float grad_scale;
  bool first_step;
};

// PyTorch's CPU kernels compute add(x, alpha=a) as fma(a, x, self) (vectorised fmadd), so the
// same fused operations make the results bit-identical to torch.optim.SGD.
RNNKIT_VECTOR_KERNEL void sgd_update(float* param, const float* grad, float* buf, int64_t n,
                                     const SGDOptions& options, SGDScalars s) {
  const bool decay = options.weight_decay != 0;
  const bool nesterov = options.nesterov;
  if (buf == nullptr) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) {
      const float g = grad[i] * s.grad_scale;
      const float d = decay ? std::fma(s.weight_decay, param[i], g) : g;
      param[i] = std::fma(s.neg_lr, d, param[i]);
    }
    return;
  }
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    const float g = grad[i] * s.grad_scale;
    const float d = decay ? std::fma(s.weight_decay, param[i], g) : g;
    const float b = s.first_step ? d : std::fma(s.one_minus_dampening, d, buf[i] * s.momentum);
    buf[i] = b;
    const float update = nesterov ? std::fma(s.momentum, b, d) : b;
    param[i] = std::fma(s.neg_lr, update, param[i]);
  }
}

}  // namespace

SGD::SGD(ParameterList params, SGDOptions options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  check_hyperparameter("momentum", options.momentum);
  check_hyperparameter("dampening", options.dampening);
  check_hyperparameter("weight_decay", options.weight_decay);
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0))
    throw Error("Nesterov momentum requires a momentum and zero dampening");
  if (options.momentum != 0) {
    for (const Parameter* p : params_) momentum_buffers_.emplace_back(p->value.shape());
  }
}

void SGD::update(float grad_scale, bool zero_grads) {
  check_grads();
  const SGDScalars scalars{
      .weight_decay = static_cast<float>(options_.weight_decay),
      .momentum = static_cast<float>(options_.momentum),
      .one_minus_dampening = static_cast<float>(1 - options_.dampening),
      .neg_lr = static_cast<float>(-lr_),
      .grad_scale = grad_scale,
      // PyTorch creates the momentum buffer as a copy of the first (decayed) gradient.
      .first_step = step_count_ == 0,
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    float* buf = momentum_buffers_.empty() ? nullptr : momentum_buffers_[i].data();
    for_update_blocks(
        p.value.numel(), zero_grads ? p.grad.data() : nullptr, [&](int64_t begin, int64_t end) {
          vec::dispatch<sgd_update>(p.value.data() + begin, p.grad.data() + begin,
                                    buf ? buf + begin : nullptr, end - begin, options_, scalars);
        });
  }
  ++step_count_;
}

std::vector<std::pair<std::string, Tensor*>> SGD::state_tensors() {
  std::vector<std::pair<std::string, Tensor*>> state;
  for (size_t i = 0; i < momentum_buffers_.size(); ++i)
    state.emplace_back("optim.momentum_buffer." + params_[i]->name, &momentum_buffers_[i]);
  return state;
}

}  // namespace rnnkit
