#include "rnnkit/optimizer.h"

#include <cmath>
#include <set>

#include "rnnkit/error.h"
#include "rnnkit/gemm.h"

namespace rnnkit {
namespace {

void check_lr(double lr) {
  if (!std::isfinite(lr) || lr < 0)
    throw Error("invalid learning rate " + std::to_string(lr) + ": must be finite and >= 0");
}

}  // namespace

Optimizer::Optimizer(ParameterList params, double lr) : params_(std::move(params)), lr_(lr) {
  check_lr(lr);
  std::set<const Parameter*> seen;
  std::set<std::string> names;
  for (const Parameter* p : params_) {
    if (p == nullptr) throw Error("optimizer given a null parameter");
    if (!seen.insert(p).second)
      throw Error("optimizer given parameter '" + p->name + "' more than once");
    if (!names.insert(p->name).second)
      throw Error("optimizer given two parameters named '" + p->name + "'");
  }
}

void Optimizer::step(float grad_scale) {
  run_update(grad_scale, false);
}

void Optimizer::step_and_zero_grad(float grad_scale) {
  run_update(grad_scale, true);
}

void Optimizer::run_update(float grad_scale, bool zero_grads) {
  if (!std::isfinite(grad_scale) || grad_scale < 0)
    throw Error("invalid gradient scale " + std::to_string(grad_scale) +
                ": must be finite and >= 0");
  update(grad_scale, zero_grads);
  note_weights_changed();
}

void Optimizer::set_lr(double lr) {
  check_lr(lr);
  lr_ = lr;
}

void Optimizer::set_step_count(int64_t count) {
  if (count < 0) throw Error("invalid optimizer step count " + std::to_string(count));
  step_count_ = count;
}

void Optimizer::load_state_tensors(const std::map<std::string, Tensor>& saved) {
  for (auto& [name, tensor] : state_tensors()) {
    auto it = saved.find(name);
    if (it == saved.end()) throw Error("optimizer state '" + name + "' is missing");
    if (it->second.shape() != tensor->shape())
      throw Error("optimizer state '" + name + "' has shape " + it->second.shape_string() +
                  ", expected " + tensor->shape_string());
    *tensor = it->second;
  }
}

void Optimizer::check_grads() const {
  for (const Parameter* p : params_) {
    if (p->grad.shape() != p->value.shape())
      throw Error("gradient of '" + p->name + "' has shape " + p->grad.shape_string() +
                  ", parameter has " + p->value.shape_string());
  }
}

}  // namespace rnnkit
