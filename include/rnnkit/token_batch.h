#pragma once
#include <cstdint>
#include <vector>

namespace rnnkit {

// A batch of token ids, time-major [steps][batch]: inputs[t * batch + b] is step t of sequence b,
// targets[t * batch + b] the token that follows it.
struct TokenBatch {
  int64_t steps = 0, batch = 0;
  std::vector<int32_t> inputs, targets;
};

// Where a batcher stands, for exact resume: the epoch, the index of the next batch within it,
// and the start offset the epoch uses (sequential batching only).
struct BatchPosition {
  int64_t epoch = 0, index = 0, offset = 0;
  bool operator==(const BatchPosition&) const = default;
};

// What the training loop needs from a batcher, whatever its sampling:
//   while (batcher.next(batch)) { if (batcher.starts_new_stream()) zero the state; ... }
//   batcher.start_epoch();
class TokenBatcher {
 public:
  virtual ~TokenBatcher() = default;
  virtual int64_t batches_per_epoch() const = 0;
  // Fills `batch` with the next batch of the epoch; false (batch untouched) once the epoch is done.
  virtual bool next(TokenBatch& batch) = 0;
  // Moves on to the next epoch (the constructor begins epoch 0).
  virtual void start_epoch() = 0;
  // True when the batch last returned by next() does not continue the sequences of the batch
  // before it, so the caller must start it from a zero state.
  virtual bool starts_new_stream() const = 0;
  virtual BatchPosition position() const = 0;
  virtual void set_position(const BatchPosition& position) = 0;
};

}  // namespace rnnkit
