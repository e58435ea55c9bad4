#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "tensor/element_ranges.h"

namespace rnnkit {

// An optimizer's pass over one parameter of n elements: update(begin, end) over contiguous ranges,
// one per thread (for_element_ranges), each range taken in blocks of kUpdateBlock elements. When
// zero_after is not null, each block of it is set to zero right after update() read it: the
// gradient block is then still in the L1 cache, where zero_grad()'s own pass over the gradients
// reads every line from memory before it writes it.
inline constexpr int64_t kUpdateBlock = 2048;

template <typename Update>
void for_update_blocks(int64_t n, float* zero_after, Update&& update) {
  for_element_ranges(n, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; b += kUpdateBlock) {
      const int64_t e = std::min(end, b + kUpdateBlock);
      update(b, e);
      if (zero_after) std::memset(zero_after + b, 0, static_cast<size_t>(e - b) * sizeof(float));
    }
  });
}

}  // namespace rnnkit
