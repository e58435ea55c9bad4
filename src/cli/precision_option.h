#pragma once
#include <CLI/CLI.hpp>
#include <string>

#include "rnnkit/gemm.h"

namespace rnnkit::cli {

// `--bf16`, the opt-in BF16 mode of train, eval and generate: matrix products take bfloat16
// inputs and accumulate in float32 (AVX512_BF16 through oneDNN); parameters, gradients and
// optimiser state stay float32. It is applied while the command line is parsed, before the
// command runs; a CPU without AVX512_BF16 gets an Error.
inline CLI::Option* add_precision_option(CLI::App& app, const std::string& group) {
  return app
      .add_flag_callback(
          "--bf16", [] { set_matmul_precision(Precision::BF16); },
          "bfloat16 matrix products with float32 accumulation and float32 weights (AVX512_BF16): "
          "about 1.5-2x faster training; accuracy effect in docs/BENCHMARKS.md")
      ->group(group);
}

}  // namespace rnnkit::cli
