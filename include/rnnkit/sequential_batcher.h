#pragma once
#include <cstdint>
#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/token_batch.h"

namespace rnnkit {

struct SequentialBatcherOptions {
  int64_t batch = 1;   // B
  int64_t steps = 1;   // T
  int64_t offset = 0;  // K in [0, T): the stream starts at ids[K]
  // d2l's sequential sampling: every epoch draws its own offset uniformly from [0, T) with the
  // Rng (offset must then be 0).
  bool random_offset_per_epoch = false;
};

// Truncated-BPTT batches. The stream ids[K:] (length N - K) is cut into B contiguous streams of
// S = (N - 1 - K) / B tokens; batch j holds positions [j*T, (j+1)*T) of every stream as inputs and
// the positions one further as targets, so batch j+1 continues batch j and the caller carries the
// state across. An epoch has S / T batches: the last partial window of each stream is dropped,
// as d2l does. `ids` (and `rng`) must outlive the batcher.
class SequentialBatcher : public TokenBatcher {
 public:
  using Position = BatchPosition;

  // Error when the corpus is too short for one batch (B*T + 1 + K tokens are needed; with a
  // random offset, K = T - 1 so that every offset fits). `rng` is used only for random offsets.
  SequentialBatcher(const std::vector<int32_t>* ids, SequentialBatcherOptions options, Rng* rng);

  int64_t batches_per_epoch() const override;  // with the current epoch's offset
  bool next(TokenBatch& batch) override;
  void start_epoch() override;  // draws the new epoch's offset when asked to
  bool starts_new_stream() const override { return index_ == 1; }
  Position position() const override { return {epoch_, index_, offset_}; }
  // Error for a position this batcher cannot be at (index past the epoch's end, offset outside
  // [0, T), or an offset other than the configured one without random offsets).
  void set_position(const Position& position) override;

 private:
  int64_t stream_length(int64_t offset) const;  // S

  const std::vector<int32_t>* ids_;
  SequentialBatcherOptions options_;
  Rng* rng_;
  int64_t epoch_ = 0, index_ = 0, offset_ = 0;
};

}  // namespace rnnkit
