#pragma once
#include <cstdint>

namespace rnnkit {

// Where a process's batch sits in the global batch of data-parallel training: its B columns are
// columns [first, first + B) of `total`. Dropout draws the global batch's masks and keeps these
// columns, so N processes draw exactly what one process would (docs/DISTRIBUTED.md); total 0
// means the batch is the whole batch.
struct BatchShard {
  int64_t first = 0;
  int64_t total = 0;
};

}  // namespace rnnkit
