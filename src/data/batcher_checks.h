#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rnnkit/error.h"

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

}  // namespace rnnkit
