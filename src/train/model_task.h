#pragma once
#include <map>
#include <memory>
#include <string>

#include "rnnkit/safetensors.h"
#include "rnnkit/training_task.h"
#include "train/shuffled_batches.h"

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

// A ModelTask whose epochs are shuffled batches of examples (seq2seq, classify, forecast): the
// batch order and its resume position are ShuffledBatches'.
template <class Model>
class ShuffledModelTask : public ModelTask<Model> {
 public:
  int64_t batches_per_epoch() const override { return batches_->size(); }
  bool epoch_done() const override { return batches_->done(); }
  void start_epoch(Rng& rng) override { batches_->start_epoch(rng); }
  nlohmann::json position() override { return batches_->position(); }
  void restore_position(const nlohmann::json& position, const std::map<std::string, Tensor>&,
                        Rng& rng) override {
    batches_->restore(position, rng);
  }

 protected:
  // The epoch's next batch (null at its end); `mine` receives this rank's share of it, and the
  // model learns the share's place in the batch and where to report gradients.
  const std::vector<int64_t>* next_batch(std::vector<int64_t>& mine) {
    const std::vector<int64_t>* batch = batches_->next();
    if (!batch) return nullptr;
    const int64_t n = static_cast<int64_t>(batch->size());
    const DataParallel::Share share = this->parallel_.share(n);
    mine.assign(batch->begin() + share.first, batch->begin() + share.first + share.count);
    this->model_->set_data_parallel(this->parallel_.shard(n), this->parallel_.sink);
    return batch;
  }

  std::unique_ptr<ShuffledBatches> batches_;
};

}  // namespace rnnkit
