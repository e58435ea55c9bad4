#pragma once
#include <gtest/gtest.h>

#include "rnnkit/precision.h"

// Skips a test of the BF16 precision where it cannot run: set_matmul_precision(BF16) is an Error
// without AVX512_BF16 (a CPU without it, or ONEDNN_MAX_CPU_ISA below avx512_core_bf16).
#define RNNKIT_SKIP_WITHOUT_BF16()                                                    \
  if (!rnnkit::bf16_matmuls_supported())                                              \
  GTEST_SKIP() << "BF16 products need AVX512_BF16, which this CPU or oneDNN's limit " \
                  "(ONEDNN_MAX_CPU_ISA) does not offer"
