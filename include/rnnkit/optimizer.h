#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "rnnkit/parameter.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// Base of the optimizers, which update each Parameter's value from its grad as torch.optim does
// (single-tensor implementation, float32 tensors). Hyperparameters and the learning rate are
// doubles, like the Python floats PyTorch receives, so that derived scalars (1 - beta, bias
// corrections, step sizes) are computed in double and rounded to float where PyTorch rounds them.
//
// The complete state for an exact resume is state_tensors() + step_count() + lr(): restoring all
// three into a fresh optimizer over the same parameters makes the next step() bit-identical.
class Optimizer {
 public:
  // Throws Error for a null or repeated parameter (or a repeated name, which would make the
  // state names ambiguous) and for a negative or non-finite lr.
  Optimizer(ParameterList params, double lr);
  virtual ~Optimizer() = default;
  Optimizer(const Optimizer&) = delete;
  Optimizer& operator=(const Optimizer&) = delete;

  // One update from the current grads, each read as grad * grad_scale rounded to float: the
  // update that follows scaling the grads in place by grad_scale (clip_grad_norm's coefficient,
  // clip_coefficient()), bit for bit, without that pass over every gradient; the grads are left
  // as they are. Throws Error if a grad's shape differs from its value's, or for a grad_scale that
  // is negative or not finite. Marks the weight copies of the batch-1 BF16 products stale
  // (note_weights_changed()).
  void step(float grad_scale = 1.0f);
  // step(), then every grad set to zero (zero_grad()) in the same pass: each block of a gradient
  // is zeroed while the update's read of it is still in the L1 cache, not in a pass of its own.
  // The values and the optimizer state are step()'s, bit for bit.
  void step_and_zero_grad(float grad_scale = 1.0f);

  double lr() const { return lr_; }
  void set_lr(double lr);
  // Number of step() calls so far (PyTorch's state["step"]).
  int64_t step_count() const { return step_count_; }
  void set_step_count(int64_t count);
  const ParameterList& params() const { return params_; }

  // Named state tensors, "optim.<state>.<parameter name>" (e.g. "optim.exp_avg.rnn.weight_ih_l0",
  // "optim.momentum_buffer.fc.bias"), allocated at construction with the parameter's shape. A
  // checkpoint saves them, and restores them by writing into the same tensors.
  virtual std::vector<std::pair<std::string, Tensor*>> state_tensors() = 0;
  // Copies every state tensor from `saved` (extra entries are ignored); throws Error naming the
  // tensor if one is missing or has another shape.
  void load_state_tensors(const std::map<std::string, Tensor>& saved);

 protected:
  // The optimizer's own update rule, run by step() with its grad_scale; with zero_grads, the
  // grads set to zero as they are read (for_update_blocks, src/optim/update_blocks.h).
  virtual void update(float grad_scale, bool zero_grads) = 0;
  // Throws Error unless every parameter's grad has the value's shape.
  void check_grads() const;

  ParameterList params_;
  double lr_;
  int64_t step_count_ = 0;

 private:
  // step() and step_and_zero_grad(): checks grad_scale, updates, marks the weights changed.
  void run_update(float grad_scale, bool zero_grads);
};

}  // namespace rnnkit
