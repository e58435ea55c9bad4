#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "rnnkit/cell_kind.h"
#include "rnnkit/tensor.h"

namespace rnnkit::testing {

// A recurrent stack to run a parameterised test on, and the test's name for it.
struct StackCase {
  CellKind cell;
  int64_t layers;
  bool bidirectional;
  int64_t proj_size = 0;
  int64_t T = 7, B = 5;  // T = 1: a generation step (row products), B = 1: one row
  float dropout = 0.0f;
};

inline std::string case_name(const StackCase& c) {
  return cell_kind_name(c.cell) + (c.proj_size ? "_proj" : "") + "_l" + std::to_string(c.layers) +
         (c.bidirectional ? "_bi" : "_uni") + "_T" + std::to_string(c.T) + "_B" +
         std::to_string(c.B) + (c.dropout > 0 ? "_dropout" : "");
}

// |want - got| <= 1e-5 * max |want| over the tensor (entries near zero carry no relative
// precision), for results of two paths that sum in different orders.
inline void expect_close(const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_EQ(want.shape(), got.shape()) << what;
  float scale = 0;
  for (float v : want.span()) scale = std::max(scale, std::fabs(v));
  ASSERT_GT(scale, 0.0f) << what << " is all zeros: nothing to compare";
  for (int64_t i = 0; i < want.numel(); ++i)
    ASSERT_NEAR(want[i], got[i], 1e-5f * scale) << what << " entry " << i;
}

}  // namespace rnnkit::testing
