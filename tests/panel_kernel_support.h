#pragma once
#include <gtest/gtest.h>

#include "rnnkit/cpu_dispatch.h"
#include "tensor/panel_product.h"

// Skips a test of rnnkit's panel kernel where it cannot run: the baseline CPU path has none.
#define RNNKIT_SKIP_WITHOUT_PANEL_KERNEL()                                                 \
  if (!rnnkit::panel_product::available())                                                 \
  GTEST_SKIP() << "the panel kernel runs on the AVX-512 and AVX2 paths; this CPU path is " \
               << rnnkit::cpu_path_name(rnnkit::cpu_path())
