#include "rnnkit/random_batcher.h"

#include <string>

#include "data/batcher_checks.h"
#include "rnnkit/error.h"

namespace rnnkit {

RandomBatcher::RandomBatcher(const std::vector<int32_t>* ids, RandomBatcherOptions options,
                             Rng* rng)
    : ids_(ids), options_(options), rng_(rng) {
  check_corpus_fits(ids_, options_.batch, options_.steps, 0);
  if (rng_ == nullptr) throw Error("random batching needs a random number generator");
}

int64_t RandomBatcher::batches_per_epoch() const {
  return (static_cast<int64_t>(ids_->size()) - 1) / (options_.batch * options_.steps);
}

bool RandomBatcher::next(TokenBatch& batch) {
  if (index_ >= batches_per_epoch()) return false;
  const int64_t B = options_.batch, T = options_.steps;
  const auto starts = static_cast<uint64_t>(static_cast<int64_t>(ids_->size()) - T);
  batch.steps = T;
  batch.batch = B;
  batch.inputs.resize(static_cast<size_t>(T * B));
  batch.targets.resize(static_cast<size_t>(T * B));
  const int32_t* ids = ids_->data();
  for (int64_t b = 0; b < B; ++b) {
    copy_window(batch, ids, b, static_cast<int64_t>(rng_->below(starts)));
  }
  ++index_;
  return true;
}

void RandomBatcher::start_epoch() {
  ++epoch_;
  index_ = 0;
}

void RandomBatcher::set_position(const Position& position) {
  check_saved_position(position, batches_per_epoch(), "this corpus");
  epoch_ = position.epoch;
  index_ = position.index;
}

}  // namespace rnnkit
