#include "rnnkit/random_batcher.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// Token i has id i, so every batch entry shows the stream position it was taken from.
std::vector<int32_t> positions(int n) {
  std::vector<int32_t> ids(static_cast<size_t>(n));
  std::iota(ids.begin(), ids.end(), 0);
  return ids;
}

std::vector<TokenBatch> rest_of_epoch(TokenBatcher& batcher) {
  std::vector<TokenBatch> batches;
  TokenBatch batch;
  while (batcher.next(batch)) batches.push_back(batch);
  return batches;
}

TEST(RandomBatcher, BatchesPerEpochIsTokensOverBatchTimesSteps) {
  const std::vector<int32_t> ids = positions(100);
  Rng rng(3);
  RandomBatcher batcher(&ids, {.batch = 3, .steps = 4}, &rng);
  EXPECT_EQ(batcher.batches_per_epoch(), 8);  // 99 / 12
  EXPECT_EQ(rest_of_epoch(batcher).size(), 8u);
  TokenBatch batch;
  EXPECT_FALSE(batcher.next(batch));
  EXPECT_EQ(batcher.position(), (BatchPosition{0, 8, 0}));
  batcher.start_epoch();
  EXPECT_EQ(batcher.position(), (BatchPosition{1, 0, 0}));
  EXPECT_EQ(rest_of_epoch(batcher).size(), 8u);
}

// Each of the B sequences is a window of T+1 consecutive tokens whose start is drawn with
// Rng::below(N - T), one draw per sequence in batch order.
TEST(RandomBatcher, EachSequenceIsAWindowAtAnRngDrawnStart) {
  const int n = 60;
  const int64_t B = 4, T = 5;
  const std::vector<int32_t> ids = positions(n);
  Rng rng(5), expected_rng(5);
  RandomBatcher batcher(&ids, {.batch = B, .steps = T}, &rng);
  for (const TokenBatch& batch : rest_of_epoch(batcher)) {
    EXPECT_EQ(batch.steps, T);
    EXPECT_EQ(batch.batch, B);
    for (int64_t b = 0; b < B; ++b) {
      const auto start = static_cast<int32_t>(expected_rng.below(n - T));
      for (int64_t t = 0; t < T; ++t) {
        EXPECT_EQ(batch.inputs[t * B + b], start + t);
        EXPECT_EQ(batch.targets[t * B + b], start + t + 1);
      }
    }
  }
}

TEST(RandomBatcher, StartsCoverEveryFullWindowAndNoMore) {
  // N = 10, T = 3: the starts 0..6 are the windows [s, s+3] inside the stream.
  const std::vector<int32_t> ids = positions(10);
  Rng rng(9);
  RandomBatcher batcher(&ids, {.batch = 1, .steps = 3}, &rng);
  std::set<int32_t> starts;
  for (int epoch = 0; epoch < 100; ++epoch) {
    for (const TokenBatch& batch : rest_of_epoch(batcher)) starts.insert(batch.inputs[0]);
    batcher.start_epoch();
  }
  EXPECT_EQ(starts, (std::set<int32_t>{0, 1, 2, 3, 4, 5, 6}));
}

TEST(RandomBatcher, EveryBatchStartsANewStream) {
  const std::vector<int32_t> ids = positions(30);
  Rng rng(1);
  RandomBatcher batcher(&ids, {.batch = 2, .steps = 2}, &rng);
  TokenBatch batch;
  while (batcher.next(batch)) EXPECT_TRUE(batcher.starts_new_stream());
}

TEST(RandomBatcher, ResumesExactlyFromASavedPositionAndRngState) {
  const std::vector<int32_t> ids = positions(500);
  const RandomBatcherOptions options{.batch = 3, .steps = 7};
  Rng rng(21);
  RandomBatcher batcher(&ids, options, &rng);
  rest_of_epoch(batcher);
  batcher.start_epoch();
  TokenBatch batch;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(batcher.next(batch));
  const BatchPosition saved = batcher.position();
  const Rng::State saved_rng = rng.state();
  const std::vector<TokenBatch> expected = rest_of_epoch(batcher);

  Rng resumed_rng(0);
  resumed_rng.set_state(saved_rng);
  RandomBatcher resumed(&ids, options, &resumed_rng);
  resumed.set_position(saved);
  EXPECT_EQ(resumed.position(), (BatchPosition{1, 5, 0}));
  const std::vector<TokenBatch> got = rest_of_epoch(resumed);
  ASSERT_EQ(got.size(), expected.size());
  ASSERT_FALSE(got.empty());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].inputs, expected[i].inputs);
    EXPECT_EQ(got[i].targets, expected[i].targets);
  }
}

TEST(RandomBatcher, RejectsTooShortCorporaAndBadPositions) {
  Rng rng(1);
  const std::vector<int32_t> twelve = positions(12);
  try {
    RandomBatcher(&twelve, {.batch = 2, .steps = 6}, &rng);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("at least 13 tokens"), std::string::npos) << e.what();
  }
  const std::vector<int32_t> thirteen = positions(13);
  RandomBatcher fits(&thirteen, {.batch = 2, .steps = 6}, &rng);
  EXPECT_EQ(fits.batches_per_epoch(), 1);
  EXPECT_THROW(fits.set_position({0, 2, 0}), Error);
  EXPECT_THROW(fits.set_position({-1, 0, 0}), Error);
  EXPECT_THROW(RandomBatcher(&thirteen, {.batch = 2, .steps = 6}, nullptr), Error);
  EXPECT_THROW(RandomBatcher(&thirteen, {.batch = 0, .steps = 6}, &rng), Error);
  EXPECT_THROW(RandomBatcher(nullptr, {.batch = 1, .steps = 1}, &rng), Error);
}

}  // namespace
}  // namespace rnnkit
