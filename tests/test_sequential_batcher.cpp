#include "error_of.h"
#include "rnnkit/sequential_batcher.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

using testing::error_of;

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

// N = 23, B = 2, T = 3: S = 22 / 2 = 11, streams [0, 11) and [11, 22), 11 / 3 = 3 batches;
// positions 9, 10 and 20, 21 (the partial last window) and token 22 are never inputs.
TEST(SequentialBatcher, MatchesAHandDerivedExample) {
  const std::vector<int32_t> ids = positions(23);
  SequentialBatcher batcher(&ids, {.batch = 2, .steps = 3}, nullptr);
  EXPECT_EQ(batcher.batches_per_epoch(), 3);
  const std::vector<TokenBatch> batches = rest_of_epoch(batcher);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].steps, 3);
  EXPECT_EQ(batches[0].batch, 2);
  // Time-major: {t0 s0, t0 s1, t1 s0, t1 s1, t2 s0, t2 s1}.
  EXPECT_EQ(batches[0].inputs, (std::vector<int32_t>{0, 11, 1, 12, 2, 13}));
  EXPECT_EQ(batches[0].targets, (std::vector<int32_t>{1, 12, 2, 13, 3, 14}));
  EXPECT_EQ(batches[1].inputs, (std::vector<int32_t>{3, 14, 4, 15, 5, 16}));
  EXPECT_EQ(batches[1].targets, (std::vector<int32_t>{4, 15, 5, 16, 6, 17}));
  EXPECT_EQ(batches[2].inputs, (std::vector<int32_t>{6, 17, 7, 18, 8, 19}));
  EXPECT_EQ(batches[2].targets, (std::vector<int32_t>{7, 18, 8, 19, 9, 20}));
}

// Offset K = 2: the stream is ids[2:], S = (23 - 1 - 2) / 2 = 10, streams start at 2 and 12.
TEST(SequentialBatcher, OffsetShiftsTheStreams) {
  const std::vector<int32_t> ids = positions(23);
  SequentialBatcher batcher(&ids, {.batch = 2, .steps = 3, .offset = 2}, nullptr);
  EXPECT_EQ(batcher.batches_per_epoch(), 3);
  const std::vector<TokenBatch> batches = rest_of_epoch(batcher);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[0].inputs, (std::vector<int32_t>{2, 12, 3, 13, 4, 14}));
  EXPECT_EQ(batches[0].targets, (std::vector<int32_t>{3, 13, 4, 14, 5, 15}));
  EXPECT_EQ(batches[2].inputs, (std::vector<int32_t>{8, 18, 9, 19, 10, 20}));
  EXPECT_EQ(batches[2].targets, (std::vector<int32_t>{9, 19, 10, 20, 11, 21}));
  EXPECT_EQ(batcher.position(), (BatchPosition{0, 3, 2}));
}

// inputs[t*B + b] of batch j is position K + b*S + j*T + t, for every shape.
TEST(SequentialBatcher, FollowsTheDesignFormulaForManyShapes) {
  for (int n : {7, 8, 50, 101}) {
    for (int64_t B : {1, 2, 3}) {
      for (int64_t T : {1, 2, 5}) {
        for (int64_t K = 0; K < T; ++K) {
          if (n < B * T + 1 + K) continue;
          const std::vector<int32_t> ids = positions(n);
          SequentialBatcher batcher(&ids, {.batch = B, .steps = T, .offset = K}, nullptr);
          const int64_t S = (n - 1 - K) / B;
          EXPECT_EQ(batcher.batches_per_epoch(), S / T);
          const std::vector<TokenBatch> batches = rest_of_epoch(batcher);
          ASSERT_EQ(static_cast<int64_t>(batches.size()), S / T);
          for (int64_t j = 0; j < S / T; ++j) {
            for (int64_t t = 0; t < T; ++t) {
              for (int64_t b = 0; b < B; ++b) {
                EXPECT_EQ(batches[j].inputs[t * B + b], K + b * S + j * T + t);
                EXPECT_EQ(batches[j].targets[t * B + b], K + b * S + j * T + t + 1);
              }
            }
          }
        }
      }
    }
  }
}

TEST(SequentialBatcher, NewStreamOnlyAtTheFirstBatchOfAnEpoch) {
  const std::vector<int32_t> ids = positions(23);
  SequentialBatcher batcher(&ids, {.batch = 2, .steps = 3}, nullptr);
  TokenBatch batch;
  ASSERT_TRUE(batcher.next(batch));
  EXPECT_TRUE(batcher.starts_new_stream());
  ASSERT_TRUE(batcher.next(batch));
  EXPECT_FALSE(batcher.starts_new_stream());
  ASSERT_TRUE(batcher.next(batch));
  EXPECT_FALSE(batcher.next(batch));
  EXPECT_EQ(batch.inputs, (std::vector<int32_t>{6, 17, 7, 18, 8, 19}));  // left as it was
  batcher.start_epoch();
  EXPECT_EQ(batcher.position(), (BatchPosition{1, 0, 0}));
  ASSERT_TRUE(batcher.next(batch));
  EXPECT_TRUE(batcher.starts_new_stream());
  EXPECT_EQ(batch.inputs, (std::vector<int32_t>{0, 11, 1, 12, 2, 13}));
}

TEST(SequentialBatcher, RandomOffsetIsDrawnAtEveryEpoch) {
  const std::vector<int32_t> ids = positions(40);
  const int64_t T = 4, B = 3;
  Rng rng(7), expected_rng(7);
  SequentialBatcher batcher(&ids, {.batch = B, .steps = T, .random_offset_per_epoch = true}, &rng);
  std::vector<int64_t> offsets;
  for (int epoch = 0; epoch < 12; ++epoch) {
    if (epoch > 0) batcher.start_epoch();
    const int64_t K = static_cast<int64_t>(expected_rng.below(T));
    offsets.push_back(K);
    EXPECT_EQ(batcher.position(), (BatchPosition{epoch, 0, K}));
    const int64_t S = (40 - 1 - K) / B;
    EXPECT_EQ(batcher.batches_per_epoch(), S / T);
    TokenBatch batch;
    ASSERT_TRUE(batcher.next(batch));
    EXPECT_EQ(batch.inputs[0], K);
    EXPECT_EQ(batch.inputs[1], K + S);
  }
  // Not one fixed offset in disguise.
  EXPECT_LT(std::count(offsets.begin(), offsets.end(), offsets[0]), 12);
}

// Stop in the middle of epoch 1, save position and Rng state, and resume in a fresh batcher.
TEST(SequentialBatcher, ResumesExactlyFromASavedPosition) {
  const std::vector<int32_t> ids = positions(200);
  const SequentialBatcherOptions options{.batch = 3, .steps = 5, .random_offset_per_epoch = true};
  Rng rng(11);
  SequentialBatcher batcher(&ids, options, &rng);
  rest_of_epoch(batcher);
  batcher.start_epoch();
  TokenBatch batch;
  ASSERT_TRUE(batcher.next(batch));
  ASSERT_TRUE(batcher.next(batch));
  const BatchPosition saved = batcher.position();
  const Rng::State saved_rng = rng.state();
  EXPECT_EQ(saved.epoch, 1);
  EXPECT_EQ(saved.index, 2);

  const std::vector<TokenBatch> expected = rest_of_epoch(batcher);
  batcher.start_epoch();
  const std::vector<TokenBatch> expected_next_epoch = rest_of_epoch(batcher);

  Rng resumed_rng(999);
  SequentialBatcher resumed(&ids, options, &resumed_rng);
  resumed.set_position(saved);
  resumed_rng.set_state(saved_rng);  // after construction, which draws epoch 0's offset
  EXPECT_EQ(resumed.position(), saved);
  EXPECT_FALSE(resumed.starts_new_stream());
  const std::vector<TokenBatch> got = rest_of_epoch(resumed);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].inputs, expected[i].inputs);
    EXPECT_EQ(got[i].targets, expected[i].targets);
  }
  resumed.start_epoch();
  const std::vector<TokenBatch> got_next_epoch = rest_of_epoch(resumed);
  ASSERT_EQ(got_next_epoch.size(), expected_next_epoch.size());
  for (size_t i = 0; i < got_next_epoch.size(); ++i) {
    EXPECT_EQ(got_next_epoch[i].inputs, expected_next_epoch[i].inputs);
  }
}

TEST(SequentialBatcher, SetPositionRejectsPositionsItCannotBeAt) {
  const std::vector<int32_t> ids = positions(23);
  SequentialBatcher batcher(&ids, {.batch = 2, .steps = 3, .offset = 1}, nullptr);
  // S = (23 - 1 - 1) / 2 = 10: 3 batches.
  batcher.set_position({4, 3, 1});
  EXPECT_EQ(batcher.position(), (BatchPosition{4, 3, 1}));
  EXPECT_THROW(batcher.set_position({0, 4, 1}), Error);
  EXPECT_THROW(batcher.set_position({0, -1, 1}), Error);
  EXPECT_THROW(batcher.set_position({-1, 0, 1}), Error);
  EXPECT_THROW(batcher.set_position({0, 0, 2}), Error);  // not the configured offset
  EXPECT_THROW(batcher.set_position({0, 0, 3}), Error);  // outside [0, T)
  EXPECT_EQ(batcher.position(), (BatchPosition{4, 3, 1}));
}

TEST(SequentialBatcher, TooShortCorpusSaysHowManyTokensAreNeeded) {
  const std::vector<int32_t> seven = positions(7);
  SequentialBatcher fits(&seven, {.batch = 2, .steps = 3}, nullptr);  // 2*3 + 1 = 7
  EXPECT_EQ(fits.batches_per_epoch(), 1);

  const std::vector<int32_t> six = positions(6);
  EXPECT_EQ(error_of([&] { SequentialBatcher(&six, {.batch = 2, .steps = 3}, nullptr); }),
            "the corpus has 6 tokens, too few for one batch of 2 sequences x 3 steps: at least 7 "
            "tokens are needed (batch * steps + 1)");
  const std::string with_offset =
      error_of([&] { SequentialBatcher(&seven, {.batch = 2, .steps = 3, .offset = 1}, nullptr); });
  EXPECT_NE(with_offset.find("at least 8 tokens"), std::string::npos) << with_offset;
  // Random offsets may be as large as T - 1 = 2: 2*3 + 1 + 2 = 9 tokens.
  Rng rng(1);
  const std::vector<int32_t> eight = positions(8);
  const std::string random = error_of([&] {
    SequentialBatcher(&eight, {.batch = 2, .steps = 3, .random_offset_per_epoch = true}, &rng);
  });
  EXPECT_NE(random.find("at least 9 tokens"), std::string::npos) << random;
  const std::vector<int32_t> nine = positions(9);
  SequentialBatcher random_fits(&nine, {.batch = 2, .steps = 3, .random_offset_per_epoch = true},
                                &rng);
  EXPECT_EQ(random_fits.batches_per_epoch(), 1);
}

TEST(SequentialBatcher, RejectsBadOptions) {
  const std::vector<int32_t> ids = positions(50);
  Rng rng(1);
  EXPECT_THROW(SequentialBatcher(&ids, {.batch = 0, .steps = 3}, nullptr), Error);
  EXPECT_THROW(SequentialBatcher(&ids, {.batch = 2, .steps = 0}, nullptr), Error);
  EXPECT_THROW(SequentialBatcher(&ids, {.batch = 2, .steps = 3, .offset = 3}, nullptr), Error);
  EXPECT_THROW(SequentialBatcher(&ids, {.batch = 2, .steps = 3, .offset = -1}, nullptr), Error);
  EXPECT_THROW(
      SequentialBatcher(&ids, {.batch = 2, .steps = 3, .random_offset_per_epoch = true}, nullptr),
      Error);
  EXPECT_THROW(
      SequentialBatcher(
          &ids, {.batch = 2, .steps = 3, .offset = 1, .random_offset_per_epoch = true}, &rng),
      Error);
  EXPECT_THROW(SequentialBatcher(nullptr, {.batch = 2, .steps = 3}, nullptr), Error);
  EXPECT_THROW(SequentialBatcher(&ids, {.batch = INT64_MAX, .steps = 3}, nullptr), Error);
}

}  // namespace
}  // namespace rnnkit
