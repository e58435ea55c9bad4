#include "rnnkit/sequential_batcher.h"

#include <string>

#include "data/batcher_checks.h"
#include "rnnkit/error.h"

namespace rnnkit {

SequentialBatcher::SequentialBatcher(const std::vector<int32_t>* ids,
                                     SequentialBatcherOptions options, Rng* rng)
    : ids_(ids), options_(options), rng_(rng) {
  if (options_.offset < 0 || (options_.steps >= 1 && options_.offset >= options_.steps)) {
    throw Error("the offset must lie in [0, steps) = [0, " + std::to_string(options_.steps) +
                "), not " + std::to_string(options_.offset));
  }
  if (options_.random_offset_per_epoch) {
    if (options_.offset != 0)
      throw Error("a fixed offset and random offsets per epoch exclude each other");
    if (rng_ == nullptr) throw Error("random offsets per epoch need a random number generator");
  }
  check_corpus_fits(ids_, options_.batch, options_.steps,
                    options_.random_offset_per_epoch ? options_.steps - 1 : options_.offset);
  offset_ = options_.random_offset_per_epoch
                ? static_cast<int64_t>(rng_->below(static_cast<uint64_t>(options_.steps)))
                : options_.offset;
}

int64_t SequentialBatcher::stream_length(int64_t offset) const {
  return (static_cast<int64_t>(ids_->size()) - 1 - offset) / options_.batch;
}

int64_t SequentialBatcher::batches_per_epoch() const {
  return stream_length(offset_) / options_.steps;
}

bool SequentialBatcher::next(TokenBatch& batch) {
  if (index_ >= batches_per_epoch()) return false;
  const int64_t B = options_.batch, T = options_.steps;
  const int64_t S = stream_length(offset_);
  batch.steps = T;
  batch.batch = B;
  batch.inputs.resize(static_cast<size_t>(T * B));
  batch.targets.resize(static_cast<size_t>(T * B));
  const int32_t* ids = ids_->data();
  for (int64_t b = 0; b < B; ++b) {
    copy_window(batch, ids, b, offset_ + b * S + index_ * T);
  }
  ++index_;
  return true;
}

void SequentialBatcher::start_epoch() {
  ++epoch_;
  index_ = 0;
  if (options_.random_offset_per_epoch) {
    offset_ = static_cast<int64_t>(rng_->below(static_cast<uint64_t>(options_.steps)));
  }
}

void SequentialBatcher::set_position(const Position& position) {
  if (position.offset < 0 || position.offset >= options_.steps) {
    throw Error("the saved offset " + std::to_string(position.offset) + " lies outside [0, " +
                std::to_string(options_.steps) + ")");
  }
  if (!options_.random_offset_per_epoch && position.offset != options_.offset) {
    throw Error("the saved offset " + std::to_string(position.offset) +
                " differs from the configured offset " + std::to_string(options_.offset));
  }
  check_saved_position(position, stream_length(position.offset) / options_.steps, "this corpus");
  epoch_ = position.epoch;
  index_ = position.index;
  offset_ = position.offset;
}

}  // namespace rnnkit
