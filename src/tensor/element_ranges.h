#pragma once
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tensor/thread_share.h"

namespace rnnkit {

// Passes over whole parameters (zeroing the gradients, their norm, the optimisers' updates) are
// bound by memory, and a second core brings its own share of the bandwidth: about twice the rate
// from L3 and from DRAM alike. Below kParallelElements (256 KB of floats) waking the threads
// costs more than it saves.
inline constexpr int64_t kParallelElements = int64_t{1} << 16;
// Ranges start on 64-byte boundaries of an aligned tensor, so vector kernels see whole lines.
inline constexpr int64_t kRangeGrain = 16;

// f(begin, end) over contiguous ranges covering [0, n): one per thread from kParallelElements on
// (and outside any parallel region), else the whole range on the calling thread. For passes
// whose every element is computed alone, so the split cannot change a result.
template <typename F>
void for_element_ranges(int64_t n, F&& f) {
  if (n < kParallelElements || omp_in_parallel()) {
    if (n > 0) f(int64_t{0}, n);
    return;
  }
  const int64_t grains = n / kRangeGrain;
#pragma omp parallel
  {
    const ThreadShare share = thread_share(grains);
    const int64_t begin = share.begin * kRangeGrain;
    const int64_t end = share.end == grains ? n : share.end * kRangeGrain;
    if (end > begin) f(begin, end);
  }
}

// The sum of f(begin, end) over fixed blocks of [0, n), added in block order: the same value for
// any thread count, in parallel from kParallelElements on.
template <typename F>
double sum_over_blocks(int64_t n, F&& f) {
  constexpr int64_t kBlock = kParallelElements / 4;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(static_cast<size_t>(blocks));
#pragma omp parallel for schedule(static) if (n >= kParallelElements && !omp_in_parallel())
  for (int64_t b = 0; b < blocks; ++b) partial[b] = f(b * kBlock, std::min(n, (b + 1) * kBlock));
  double sum = 0;
  for (double s : partial) sum += s;
  return sum;
}

}  // namespace rnnkit
