#include "rnnkit/adam.h"

#include <cmath>

#include "optim/update_blocks.h"
#include "rnnkit/error.h"
#include "tensor/vector_kernel.h"

namespace rnnkit {
namespace {

void check_hyperparameter(const char* name, double value, double upper_bound = INFINITY) {
  if (!(value >= 0 && value < upper_bound))
    throw Error(std::string("invalid Adam ") + name + " " + std::to_string(value) +
                (std::isinf(upper_bound) ? ": must be finite and >= 0" : ": must be in [0, 1)"));
}

// The scalars of one update, rounded to float where PyTorch's kernels receive them.
struct AdamScalars {
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float l2_weight_decay;   // Adam: added to the gradient
  float decoupled_factor;  // AdamW: 1 - lr * weight_decay
  float bias_correction2_sqrt;
  float eps;
  float neg_step_size;
  float grad_scale;
};

// torch.maximum: NaN if either is NaN.
inline float maximum(float a, float b) {
  return (a != a || a > b) ? a : b;
}

// One fused pass with the per-element roundings of PyTorch's sequence of kernels: add(alpha) and
// addcmul are fmas in its vectorised CPU code, the rest are single float operations.
RNNKIT_VECTOR_KERNEL void adam_update(float* param, const float* grad, float* exp_avg,
                                      float* exp_avg_sq, float* max_exp_avg_sq, int64_t n,
                                      const AdamOptions& options, AdamScalars s) {
  const bool l2 = options.weight_decay != 0 && !options.decoupled_weight_decay;
  const bool decoupled = options.weight_decay != 0 && options.decoupled_weight_decay;
  const bool amsgrad = max_exp_avg_sq != nullptr;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) {
    float p = decoupled ? param[i] * s.decoupled_factor : param[i];
    const float scaled = grad[i] * s.grad_scale;
    const float g = l2 ? std::fma(s.l2_weight_decay, p, scaled) : scaled;
    const float m = std::fma(s.one_minus_beta1, g, exp_avg[i] * s.beta1);
    float v = std::fma(s.one_minus_beta2 * g, g, exp_avg_sq[i] * s.beta2);
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    if (amsgrad) {
      v = maximum(max_exp_avg_sq[i], v);
      max_exp_avg_sq[i] = v;
    }
    const float denom = std::sqrt(v) / s.bias_correction2_sqrt + s.eps;
    param[i] = p + (s.neg_step_size * m) / denom;
  }
}

}  // namespace

Adam::Adam(ParameterList params, AdamOptions options)
    : Optimizer(std::move(params), options.lr), options_(options) {
  check_hyperparameter("eps", options.eps);
  check_hyperparameter("beta1", options.beta1, 1);
  check_hyperparameter("beta2", options.beta2, 1);
  check_hyperparameter("weight_decay", options.weight_decay);
  for (const Parameter* p : params_) {
    exp_avgs_.emplace_back(p->value.shape());
    exp_avg_sqs_.emplace_back(p->value.shape());
    if (options.amsgrad) max_exp_avg_sqs_.emplace_back(p->value.shape());
  }
}

void Adam::update(float grad_scale, bool zero_grads) {
  check_grads();
  const auto& o = options_;
  const double t = static_cast<double>(step_count_ + 1);
  const double bias_correction1 = 1 - std::pow(o.beta1, t);
  const double bias_correction2 = 1 - std::pow(o.beta2, t);
  const AdamScalars scalars{
      .beta1 = static_cast<float>(o.beta1),
      .one_minus_beta1 = static_cast<float>(1 - o.beta1),
      .beta2 = static_cast<float>(o.beta2),
      .one_minus_beta2 = static_cast<float>(1 - o.beta2),
      .l2_weight_decay = static_cast<float>(o.weight_decay),
      .decoupled_factor = static_cast<float>(1 - lr_ * o.weight_decay),
      .bias_correction2_sqrt = static_cast<float>(std::sqrt(bias_correction2)),
      .eps = static_cast<float>(o.eps),
      .neg_step_size = static_cast<float>(-(lr_ / bias_correction1)),
      .grad_scale = grad_scale,
  };
  for (size_t i = 0; i < params_.size(); ++i) {
    Parameter& p = *params_[i];
    float* max_sq = o.amsgrad ? max_exp_avg_sqs_[i].data() : nullptr;
    float *value = p.value.data(), *exp_avg = exp_avgs_[i].data(),
          *exp_avg_sq = exp_avg_sqs_[i].data();
    float* grad = p.grad.data();
    for_update_blocks(
        p.value.numel(), zero_grads ? grad : nullptr, [&](int64_t begin, int64_t end) {
          vec::dispatch<adam_update>(value + begin, grad + begin, exp_avg + begin,
                                     exp_avg_sq + begin, max_sq ? max_sq + begin : nullptr,
                                     end - begin, o, scalars);
        });
  }
  ++step_count_;
}

std::vector<std::pair<std::string, Tensor*>> Adam::state_tensors() {
  std::vector<std::pair<std::string, Tensor*>> state;
  for (size_t i = 0; i < params_.size(); ++i) {
    const std::string& name = params_[i]->name;
    state.emplace_back("optim.exp_avg." + name, &exp_avgs_[i]);
    state.emplace_back("optim.exp_avg_sq." + name, &exp_avg_sqs_[i]);
    if (options_.amsgrad) state.emplace_back("optim.max_exp_avg_sq." + name, &max_exp_avg_sqs_[i]);
  }
  return state;
}

}  // namespace rnnkit
