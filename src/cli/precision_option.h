#pragma once
#include <CLI/CLI.hpp>

#include "rnnkit/gemm.h"

namespace rnnkit::cli {

// `--bf16` of eval, generate, poem and serve: matrix products take bfloat16 inputs and
// accumulate in float32, batch-1 generation reads bfloat16 copies of the weights. It is applied
// while the command line is parsed, before the command runs; a CPU without AVX512_BF16 gets an
// Error. (train has its own --bf16, kept in the run's options.)
inline CLI::Option* add_precision_option(CLI::App& app) {
  return app.add_flag_callback(
      "--bf16", [] { set_matmul_precision(Precision::BF16); },
      "bfloat16 matrix products and weights, float32 sums (AVX512_BF16): the effect on speed "
      "and accuracy is in docs/BENCHMARKS.md");
}

}  // namespace rnnkit::cli
