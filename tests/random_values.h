#pragma once
#include <cstdint>
#include <vector>

#include "rnnkit/rng.h"

namespace rnnkit::testing {

// n values drawn uniformly from [-scale, scale] by rnnkit's Rng seeded with seed.
inline std::vector<float> random_values(int64_t n, uint64_t seed, float scale = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.uniform(-scale, scale);
  return v;
}

}  // namespace rnnkit::testing
