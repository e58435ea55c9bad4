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

}  // namespace
}  // namespace rnnkit
