#pragma once
#include <string>
#include <vector>

#include "rnnkit/tensor.h"

namespace rnnkit {

// A trainable tensor with its gradient, named as in the PyTorch state_dict (e.g.
// "rnn.weight_ih_l0_reverse") so checkpoints and optimizers address it the same way.
struct Parameter {
  std::string name;
  Tensor value;
  Tensor grad;

  Parameter() = default;
  Parameter(std::string name_, Shape shape) : name(std::move(name_)), value(shape), grad(shape) {}
};

using ParameterList = std::vector<Parameter*>;

void zero_grad(const ParameterList& params);

}  // namespace rnnkit
