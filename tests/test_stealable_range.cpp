// StealableRange: the shares of the panel product's threads, taken in chunks by their owners from
// one end and by threads done with their own from the other. Every item must be taken exactly
// once, whoever takes it and however the takes interleave: one missed would leave outputs
// unwritten, one taken twice would be computed twice (and, for a product that adds to C, wrong).
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "tensor/thread_share.h"

namespace rnnkit {
namespace {

TEST(StealableRange, TakesChunksFromEitherEndUntilNoneIsLeft) {
  StealableRange range;
  range.set(3, 13);
  int64_t b = -1, e = -1;
  ASSERT_TRUE(range.take(4, false, b, e));
  EXPECT_EQ(b, 3);
  EXPECT_EQ(e, 7);
  ASSERT_TRUE(range.take(2, true, b, e));
  EXPECT_EQ(b, 11);
  EXPECT_EQ(e, 13);
  ASSERT_TRUE(range.take(8, false, b, e));  // fewer left than asked for
  EXPECT_EQ(b, 7);
  EXPECT_EQ(e, 11);
  EXPECT_FALSE(range.take(1, true, b, e));
  EXPECT_FALSE(range.take(1, false, b, e));
  range.set(5, 5);
  EXPECT_FALSE(range.take(1, false, b, e));
}

// Four threads, each the owner of one share taking chunks from its front, then taking pairs from
// the back of the others', many times over: each item is counted once.
TEST(StealableRange, EveryItemIsTakenOnceWhenOwnersAndOthersTakeAtOnce) {
  constexpr int kThreads = 4;
  constexpr int64_t kItems = 997;
  for (int round = 0; round < 200; ++round) {
    std::vector<StealableRange> shares(kThreads);
    for (int t = 0; t < kThreads; ++t)
      shares[t].set(kItems * t / kThreads, kItems * (t + 1) / kThreads);
    std::vector<std::vector<int>> taken(kThreads, std::vector<int>(kItems, 0));
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        int64_t b, e;
        while (shares[t].take(1 + t, false, b, e))
          for (int64_t i = b; i < e; ++i) ++taken[t][i];
        for (int o = 1; o < kThreads; ++o)
          while (shares[(t + o) % kThreads].take(2, true, b, e))
            for (int64_t i = b; i < e; ++i) ++taken[t][i];
      });
    for (std::thread& thread : threads) thread.join();
    for (int64_t i = 0; i < kItems; ++i) {
      int count = 0;
      for (int t = 0; t < kThreads; ++t) count += taken[t][i];
      ASSERT_EQ(count, 1) << "item " << i << " in round " << round;
    }
  }
}

}  // namespace
}  // namespace rnnkit
