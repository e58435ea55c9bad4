// The parallel passes over whole parameters (src/tensor/element_ranges.h): every element in
// exactly one range, ranges on 64-byte boundaries, one per thread from kParallelElements on; block
// sums that do not depend on the thread count.
#include "tensor/element_ranges.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <mutex>
#include <utility>
#include <vector>

#include "rnnkit/threads.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

std::vector<std::pair<int64_t, int64_t>> ranges_of(int64_t n) {
  std::vector<std::pair<int64_t, int64_t>> ranges;
  std::mutex mutex;
  for_element_ranges(n, [&](int64_t begin, int64_t end) {
    std::lock_guard lock(mutex);
    ranges.emplace_back(begin, end);
  });
  std::sort(ranges.begin(), ranges.end());
  return ranges;
}

TEST(ElementRanges, CoverEveryElementOnceOnLineBoundariesOnePerThread) {
  SettingsGuard guard;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    for (int64_t n : {int64_t{1}, int64_t{17}, kParallelElements - 1, kParallelElements,
                      3 * kParallelElements + 7}) {
      const auto ranges = ranges_of(n);
      const size_t expected = n < kParallelElements ? 1 : static_cast<size_t>(threads);
      ASSERT_EQ(ranges.size(), expected) << n << " elements, " << threads << " threads";
      int64_t next = 0;
      for (auto [begin, end] : ranges) {
        EXPECT_EQ(begin, next) << n << " elements, " << threads << " threads";
        EXPECT_EQ(begin % kRangeGrain, 0) << begin;
        EXPECT_LT(begin, end);
        next = end;
      }
      EXPECT_EQ(next, n) << n << " elements, " << threads << " threads";
    }
  }
}

TEST(ElementRanges, NothingToDoForNoElements) {
  EXPECT_TRUE(ranges_of(0).empty());
}

TEST(ElementRanges, BlockSumsAreTheSameForAnyThreadCount) {
  SettingsGuard guard;
  // Terms whose sum depends on the order it is taken in: 1 added to 10^16 rounds away (the
  // spacing of doubles there is 2), many 1s added together first do not.
  const int64_t n = 5 * kParallelElements + 3;
  auto term = [](int64_t i) { return i % 2 ? 1e16 : 1.0; };
  auto block = [&](int64_t begin, int64_t end) {
    double s = 0;
    for (int64_t i = begin; i < end; ++i) s += term(i);
    return s;
  };
  set_num_threads(1);
  const double one = sum_over_blocks(n, block);
  const double exact = static_cast<double>(n / 2) * 1e16 + static_cast<double>(n - n / 2);
  EXPECT_NEAR(one, exact, 1e-12 * exact);
  for (int threads : {2, 3}) {
    set_num_threads(threads);
    EXPECT_EQ(sum_over_blocks(n, block), one) << threads << " threads";
  }
}

}  // namespace
}  // namespace rnnkit
