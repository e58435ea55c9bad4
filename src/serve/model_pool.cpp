#include "serve/model_pool.h"

#include <map>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit::serve {

std::unique_ptr<LanguageModel> copy_model(LanguageModel& prototype) {
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, tensor] : prototype.state_dict()) tensors.emplace(name, *tensor);
  auto model = std::make_unique<LanguageModel>(prototype.config());
  model->load_state_dict(tensors);
  return model;
}

ModelPool::ModelPool(LanguageModel& prototype, int workers, int queue) : queue_(queue) {
  if (workers < 1) throw Error("--workers must be at least 1, got " + std::to_string(workers));
  if (queue < 0) throw Error("--queue must be at least 0, got " + std::to_string(queue));
  for (int i = 0; i < workers; ++i) {
    models_.push_back(copy_model(prototype));
    free_.push_back(models_.back().get());
  }
}

ModelPool::Lease::Lease(Lease&& other) noexcept : pool_(other.pool_), model_(other.model_) {
  other.pool_ = nullptr;
}

ModelPool::Lease::~Lease() {
  if (pool_) pool_->give_back(*model_);
}

std::optional<ModelPool::Lease> ModelPool::acquire() {
  std::unique_lock lock(mutex_);
  if (closed_ || admitted_ >= static_cast<int>(models_.size()) + queue_) return std::nullopt;
  ++admitted_;
  returned_.wait(lock, [&] { return closed_ || !free_.empty(); });
  if (closed_) {
    --admitted_;
    return std::nullopt;
  }
  LanguageModel* model = free_.back();
  free_.pop_back();
  return Lease(*this, *model);
}

void ModelPool::give_back(LanguageModel& model) {
  {
    std::lock_guard lock(mutex_);
    free_.push_back(&model);
    --admitted_;
  }
  returned_.notify_one();
}

void ModelPool::close() {
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  returned_.notify_all();
}

bool ModelPool::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

ModelPool::Load ModelPool::load() const {
  std::lock_guard lock(mutex_);
  Load load;
  load.workers = static_cast<int>(models_.size());
  load.busy = load.workers - static_cast<int>(free_.size());
  load.waiting = admitted_ - load.busy;
  load.queue = queue_;
  return load;
}

}  // namespace rnnkit::serve
