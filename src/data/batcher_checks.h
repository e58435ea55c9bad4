#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/token_batch.h"

namespace rnnkit {

// Shared by the batchers: Error unless B >= 1, T >= 1 and the token stream holds the
// B*T + 1 + offset tokens that one batch needs.
inline void check_corpus_fits(const std::vector<int32_t>* ids, int64_t batch, int64_t steps,
                              int64_t offset) {
  if (ids == nullptr) throw Error("a batcher needs a token stream");
  if (batch < 1) throw Error("the batch size must be at least 1, not " + std::to_string(batch));
  if (steps < 1)
    throw Error("the number of steps must be at least 1, not " + std::to_string(steps));
  int64_t needed = 0;
  const bool overflow = __builtin_mul_overflow(batch, steps, &needed) ||
                        __builtin_add_overflow(needed, 1 + offset, &needed);
  const auto have = static_cast<int64_t>(ids->size());
  if (overflow || have < needed) {
    throw Error("the corpus has " + std::to_string(have) + " tokens, too few for one batch of " +
                std::to_string(batch) + " sequences x " + std::to_string(steps) +
                " steps: at least " + (overflow ? "2^63" : std::to_string(needed)) +
                " tokens are needed (batch * steps + 1" + (offset > 0 ? " + offset" : "") + ")");
  }
}

// Shared by the batchers' set_position: Error unless the saved epoch is non-negative and the saved
// index within [0, batches]; `corpus` names the data in the message ("this corpus").
inline void check_saved_position(const BatchPosition& position, int64_t batches,
                                 const char* corpus) {
  if (position.epoch < 0) throw Error("a batch position needs a non-negative epoch");
  if (position.index < 0 || position.index > batches) {
    throw Error("the saved batch index " + std::to_string(position.index) + " lies outside [0, " +
                std::to_string(batches) + "], the batches of an epoch of " + corpus);
  }
}

// Shared by the text batchers: sequence b of a time-major batch reads ids[start .. start + steps].
inline void copy_window(TokenBatch& batch, const int32_t* ids, int64_t b, int64_t start) {
  for (int64_t t = 0; t < batch.steps; ++t) {
    batch.inputs[t * batch.batch + b] = ids[start + t];
    batch.targets[t * batch.batch + b] = ids[start + t + 1];
  }
}

}  // namespace rnnkit
