#pragma once
#include <map>
#include <memory>
#include <string>

#include "rnnkit/safetensors.h"
#include "rnnkit/training_task.h"

namespace rnnkit {

// The TrainingTask members that only pass through to the model, for families whose model file is
// the model's state dict with its model_metadata().
template <class Model>
class ModelTask : public TrainingTask {
 public:
  ParameterList parameters() override { return model_->parameters(); }
  StateDict state_dict() override { return model_->state_dict(); }
  void load_state_dict(const std::map<std::string, Tensor>& tensors) override {
    model_->load_state_dict(tensors);
  }
  void save_model(const std::string& path, const std::map<std::string, std::string>& extra,
                  DType dtype) override {
    std::map<std::string, std::string> metadata = model_metadata();
    metadata.insert(extra.begin(), extra.end());
    write_safetensors(path, model_->state_dict(), metadata, dtype);
  }

 protected:
  std::unique_ptr<Model> model_;
};

}  // namespace rnnkit
