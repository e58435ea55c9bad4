#pragma once
#include <cstdint>
#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/token_batch.h"

namespace rnnkit {

struct RandomBatcherOptions {
  int64_t batch = 1;  // B
  int64_t steps = 1;  // T
};

// Random sampling: each batch holds B independent windows of T+1 tokens whose starts are drawn
// uniformly from [0, N - T - 1] with the Rng (B draws per batch, in batch order); inputs are the
// first T tokens of a window, targets the last T. Every batch starts from a zero state. An epoch
// has (N - 1) / (B*T) batches, about one pass over the tokens. The Rng state is the caller's to
// save: with the same Rng state and position, the same windows come again. `ids` and `rng` must
// outlive the batcher.
class RandomBatcher : public TokenBatcher {
 public:
  using Position = BatchPosition;

  // Error when the corpus is too short for one batch (B*T + 1 tokens are needed).
  RandomBatcher(const std::vector<int32_t>* ids, RandomBatcherOptions options, Rng* rng);

  int64_t batches_per_epoch() const override;
  bool next(TokenBatch& batch) override;
  void start_epoch() override;
  bool starts_new_stream() const override { return true; }
  Position position() const override { return {epoch_, index_, 0}; }
  // The offset is ignored; Error for an index past the epoch's end or a negative epoch.
  void set_position(const Position& position) override;

 private:
  const std::vector<int32_t>* ids_;
  RandomBatcherOptions options_;
  Rng* rng_;
  int64_t epoch_ = 0, index_ = 0;
};

}  // namespace rnnkit
