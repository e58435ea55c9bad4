#pragma once
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "rnnkit/language_model.h"

namespace rnnkit::serve {

// A model of its own with the prototype's weights (LanguageModel has no copy constructor: its
// layers own their buffers).
std::unique_ptr<LanguageModel> copy_model(LanguageModel& prototype);

// Copies of one language model, one per worker: a LanguageModel keeps per-call workspaces, so
// each running generation needs a copy of its own. Admission is bounded: at most `workers`
// requests run and `queue` more wait for a copy; beyond that a request is turned away at once
// rather than waiting without bound.
class ModelPool {
 public:
  ModelPool(LanguageModel& prototype, int workers, int queue);

  // A model copy on loan; going out of scope returns it and admits the next waiting request.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    LanguageModel& model() { return *model_; }

   private:
    friend class ModelPool;
    Lease(ModelPool& pool, LanguageModel& model) : pool_(&pool), model_(&model) {}
    ModelPool* pool_;
    LanguageModel* model_;
  };

  // Waits for a free copy; nullopt when `workers + queue` requests are already admitted or the
  // pool is closed.
  std::optional<Lease> acquire();
  // Turns away waiting and future requests (shutdown); leases already given out stay valid.
  void close();
  bool closed() const;

  struct Load {
    int workers = 0, busy = 0, waiting = 0, queue = 0;
  };
  Load load() const;

 private:
  void give_back(LanguageModel& model);

  std::vector<std::unique_ptr<LanguageModel>> models_;
  const int queue_;
  mutable std::mutex mutex_;
  std::condition_variable returned_;
  std::vector<LanguageModel*> free_;
  int admitted_ = 0;
  bool closed_ = false;
};

}  // namespace rnnkit::serve
