#pragma once
#include <memory>
#include <string>

#include "rnnkit/optimizer.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/train_options.h"

namespace rnnkit {

// The optimiser the options name, over `params`.
std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& o, const ParameterList& params);

// The storage type of model files: "f32", "f16" or "bf16".
DType storage_dtype(const std::string& name);

}  // namespace rnnkit
