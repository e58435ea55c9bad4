#include "rnnkit/formatted.h"

#include <gtest/gtest.h>

#include <string>

namespace rnnkit {
namespace {

TEST(Counted, TakesTheSingularForOneOnly) {
  EXPECT_EQ(counted(1, "batch", "batches"), "1 batch");
  EXPECT_EQ(counted(0, "batch", "batches"), "0 batches");
  EXPECT_EQ(counted(2, "forecast value", "forecast values"), "2 forecast values");
  EXPECT_EQ(counted(-1, "step", "steps"), "-1 steps");
}

TEST(Formatted, KeepsANumberLongerThanAFixedBuffer) {
  const std::string text = formatted("%.4f", 1e30);
  EXPECT_EQ(text, "1000000000000000019884624838656.0000");
}

TEST(FixedOrScientific, ShowsTheValueAtAnyScale) {
  EXPECT_EQ(fixed_or_scientific(3.42264, 4), "3.4226");
  EXPECT_EQ(fixed_or_scientific(0.001, 4), "0.0010");
  EXPECT_EQ(fixed_or_scientific(0, 4), "0.0000");
  EXPECT_EQ(fixed_or_scientific(3.2e-7, 4), "3.2000e-07");
  EXPECT_EQ(fixed_or_scientific(-2.5e30, 3), "-2.500e+30");
  EXPECT_EQ(fixed_or_scientific(123456789.0, 1), "123456789.0");
}

}  // namespace
}  // namespace rnnkit
