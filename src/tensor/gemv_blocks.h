#pragma once
#include <omp.h>

#include <cstdint>

#include "tensor/thread_share.h"

// How rnnkit's GEMVs (gemv.cpp, int8_gemv.cpp) split their rows into blocks and threads.
namespace rnnkit::gemv {

// Eight rows at a time give eight independent accumulation chains (one row alone waits on its
// FMA latency) and share each load of x.
constexpr int64_t kRows = 8;

// Each core streams its own share of the rows: from 512 KB of float32 weights (a recurrent
// layer of 256) on, the second core's bandwidth is worth more than waking it.
constexpr int64_t kParallel = 1 << 17;

// Runs blocks_of(b0, b1) over the N / kRows blocks, one contiguous share per thread for large
// products (N * K >= kParallel weights), so each thread dispatches once.
template <class Blocks>
void over_blocks(int64_t N, int64_t K, const Blocks& blocks_of) {
  const int64_t count = (N + kRows - 1) / kRows;
  if (N * K < kParallel) {
    blocks_of(0, count);
    return;
  }
#pragma omp parallel
  {
    const auto [b0, b1] = thread_share(count);
    blocks_of(b0, b1);
  }
}

}  // namespace rnnkit::gemv
