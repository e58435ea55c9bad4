#pragma once
#include <benchmark/benchmark.h>

#include "rnnkit/precision.h"

namespace rnnkit {

// Whether this CPU lacks BF16 products (BF16 precision cannot be set on it), in which case the
// benchmark is marked skipped and the rest of the run goes on.
inline bool skipped_without_bf16(benchmark::State& state) {
  if (bf16_matmuls_supported()) return false;
  state.SkipWithError("bf16 products need a CPU with AVX512_BF16");
  return true;
}

}  // namespace rnnkit
