#include "train/optimizer_factory.h"

#include "rnnkit/adam.h"
#include "rnnkit/error.h"
#include "rnnkit/sgd.h"

namespace rnnkit {

std::unique_ptr<Optimizer> make_optimizer(const OptimizerOptions& o, const ParameterList& params) {
  if (o.optimizer == "sgd") {
    SGDOptions s;
    s.lr = o.lr;
    s.momentum = o.momentum;
    s.weight_decay = o.weight_decay;
    return std::make_unique<SGD>(params, s);
  }
  if (o.optimizer != "adam" && o.optimizer != "adamw")
    throw Error("--optimizer must be sgd, adam or adamw, not \"" + o.optimizer + "\"");
  AdamOptions a;
  a.lr = o.lr;
  a.beta1 = o.beta1;
  a.beta2 = o.beta2;
  a.eps = o.eps;
  a.weight_decay = o.weight_decay;
  a.decoupled_weight_decay = o.optimizer == "adamw";
  return std::make_unique<Adam>(params, a);
}

DType storage_dtype(const std::string& name) {
  if (name == "f16") return DType::F16;
  if (name == "bf16") return DType::BF16;
  if (name == "f32") return DType::F32;
  throw Error("--dtype must be f32, f16 or bf16, not \"" + name + "\"");
}

}  // namespace rnnkit
