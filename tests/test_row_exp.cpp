// A softmax row's exponentials (softmax_rows::exp_row, the loss's): the hand-written AVX-512 or
// AVX2 loop equal bit for bit, every term and the sum, to the loop the compiler vectorises, over
// lengths with and without a tail, terms below exp's floor, -inf, NaN, the output in place and the
// sum alone; and both against exp in double precision.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "nn/row_exp.h"
#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"

namespace rnnkit {
namespace {

const int64_t kLengths[] = {1, 5, 15, 16, 17, 100, 8293, 10000};

// A row whose largest element is 3: random values down to 125 below it, and elements exactly at,
// just above and just below the floor where exp's argument is clamped (-87), and -inf.
std::vector<float> row_of(int64_t V, uint64_t seed) {
  std::vector<float> x = testing::random_values(V, seed, 64.0f);
  for (float& v : x) v = v - 61.0f;  // [-125, 3]
  x[0] = 3.0f;
  const float specials[] = {3.0f - 87.0f, 3.0f - 86.99f, 3.0f - 87.01f, 3.0f - 86.0f,
                            -std::numeric_limits<float>::infinity()};
  for (int k = 0; k < 5 && k + 1 < V; ++k) x[static_cast<size_t>(k * V / 5 + 1)] = specials[k];
  return x;
}

bool same_bits(float a, float b) {
  return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b) ||
         (std::isnan(a) && std::isnan(b));
}

TEST(RowExp, HandWrittenLoopEqualsTheCompiledOneBitForBit) {
#ifdef RNNKIT_SANITIZED
  GTEST_SKIP() << "the sanitized build compiles at -O1, where GCC fuses none of the compiled "
                  "loop's multiplies and adds; the optimized builds fuse them as the hand-written "
                  "loop does";
#endif
  if (cpu_path() == CpuPath::Baseline)
    GTEST_SKIP() << "the hand-written loops are the AVX-512 and AVX2 paths'; this CPU path is "
                 << cpu_path_name(cpu_path());
  for (int64_t V : kLengths) {
    for (bool with_nan : {false, true}) {
      std::vector<float> x = row_of(V, static_cast<uint64_t>(V));
      if (with_nan) x[static_cast<size_t>(V / 2)] = std::numeric_limits<float>::quiet_NaN();
      std::vector<float> expected(x.size()), got(x.size()), in_place = x;
      const float expected_sum = softmax_rows::exp_row_compiled(x.data(), V, 3.0f, expected.data());
      const float sum = softmax_rows::exp_row(x.data(), V, 3.0f, got.data());
      const float in_place_sum = softmax_rows::exp_row(in_place.data(), V, 3.0f, in_place.data());
      EXPECT_TRUE(same_bits(sum, expected_sum))
          << "V " << V << ": " << sum << " vs " << expected_sum;
      EXPECT_TRUE(same_bits(in_place_sum, expected_sum)) << "V " << V;
      // The sum alone: the same sum, on both loops.
      EXPECT_TRUE(same_bits(softmax_rows::exp_row(x.data(), V, 3.0f, nullptr), expected_sum));
      EXPECT_TRUE(
          same_bits(softmax_rows::exp_row_compiled(x.data(), V, 3.0f, nullptr), expected_sum));
      for (int64_t v = 0; v < V; ++v) {
        ASSERT_TRUE(same_bits(got[v], expected[v]))
            << "V " << V << ", element " << v << " (x - shift " << x[v] - 3.0f << "): " << got[v]
            << " vs " << expected[v];
        ASSERT_TRUE(same_bits(in_place[v], expected[v])) << "V " << V << ", element " << v;
      }
    }
  }
}

TEST(RowExp, AgreesWithExpInDoublePrecision) {
  for (int64_t V : kLengths) {
    const std::vector<float> x = row_of(V, static_cast<uint64_t>(V) + 1);
    std::vector<float> out(x.size());
    const float sum = softmax_rows::exp_row(x.data(), V, 3.0f, out.data());
    EXPECT_EQ(softmax_rows::exp_row(x.data(), V, 3.0f, nullptr), sum) << "V " << V;
    double reference_sum = 0;
    for (int64_t v = 0; v < V; ++v) {
      // exp's argument is clamped at -87: below it every term is exp(-87).
      const double d = std::max(static_cast<double>(x[v] - 3.0f), -87.0);
      const double expected = std::exp(d);
      EXPECT_NEAR(out[v], expected, 4e-7 * expected) << "V " << V << ", element " << v;
      reference_sum += out[v];
    }
    EXPECT_NEAR(sum, reference_sum, 1e-6 * reference_sum) << "V " << V;
  }
}

}  // namespace
}  // namespace rnnkit
