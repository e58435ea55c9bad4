#pragma once
#include <omp.h>

#include <cstdint>

namespace rnnkit {

// Inside a parallel region: the calling thread's share [begin, end) of `count` items, contiguous
// and in thread order, the shares' sizes differing by one at most.
struct ThreadShare {
  int64_t begin, end;
};

inline ThreadShare thread_share(int64_t count) {
  const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
  return {count * t / threads, count * (t + 1) / threads};
}

}  // namespace rnnkit
