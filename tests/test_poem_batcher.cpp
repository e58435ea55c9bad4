#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/poem_batcher.h"

namespace rnnkit {
namespace {

constexpr int32_t kPad = 0, kStart = 1, kEop = 2, kIgnore = -100;

// Sequence i holds kStart, then length-2 ids 1000*(i+1) + k, then kEop, so the id after the start
// tells which sequence a batch column carries.
std::vector<std::vector<int32_t>> sequences(const std::vector<int>& lengths) {
  std::vector<std::vector<int32_t>> seqs;
  for (size_t i = 0; i < lengths.size(); ++i) {
    std::vector<int32_t> seq{kStart};
    for (int k = 0; k < lengths[i] - 2; ++k) seq.push_back(1000 * static_cast<int32_t>(i + 1) + k);
    seq.push_back(kEop);
    seqs.push_back(seq);
  }
  return seqs;
}

int sequence_of_column(const TokenBatch& batch, int64_t b) {
  const int32_t second = batch.inputs[1 * batch.batch + b];
  return second >= 1000 ? second / 1000 - 1 : -1;
}

std::vector<int32_t> column(const std::vector<int32_t>& values, const TokenBatch& batch,
                            int64_t b) {
  std::vector<int32_t> out;
  for (int64_t t = 0; t < batch.steps; ++t) out.push_back(values[t * batch.batch + b]);
  return out;
}

std::vector<TokenBatch> epoch_batches(PoemBatcher& batcher) {
  std::vector<TokenBatch> batches;
  TokenBatch batch;
  while (batcher.next(batch)) batches.push_back(batch);
  return batches;
}

bool same(const TokenBatch& a, const TokenBatch& b) {
  return a.steps == b.steps && a.batch == b.batch && a.inputs == b.inputs && a.targets == b.targets;
}

TEST(MakePoemSequences, WrapsEachPoemInStartAndEnd) {
  const PoemSequences s = make_poem_sequences({U"春眠", U"曉"}, 7, 8, [](char32_t c) {
    return c == U'春' ? 10 : c == U'眠' ? 11 : 12;
  });
  EXPECT_EQ(s.seqs, (std::vector<std::vector<int32_t>>{{7, 10, 11, 8}, {7, 12, 8}}));
}

TEST(PoemBatcher, PaddedBatchesShiftTargetsAndPadAtTheEnd) {
  // Lengths 4, 3 and 7; max_length 5 cuts the third to kStart 3000..3003 (no end id).
  const auto seqs = sequences({4, 3, 7});
  Rng rng(5);
  PoemBatcher batcher(&seqs, kPad, {.batch = 3, .max_length = 5, .packed = false}, &rng);
  EXPECT_EQ(batcher.batches_per_epoch(), 1);
  TokenBatch batch;
  ASSERT_TRUE(batcher.next(batch));
  EXPECT_EQ(batch.steps, 4);  // max_length - 1
  EXPECT_EQ(batch.batch, 3);
  ASSERT_EQ(batch.inputs.size(), 12u);
  ASSERT_EQ(batch.targets.size(), 12u);
  std::map<int, std::pair<std::vector<int32_t>, std::vector<int32_t>>> by_sequence;
  for (int64_t b = 0; b < 3; ++b) {
    by_sequence[sequence_of_column(batch, b)] = {column(batch.inputs, batch, b),
                                                 column(batch.targets, batch, b)};
  }
  using V = std::vector<int32_t>;
  ASSERT_EQ(by_sequence.size(), 3u);
  EXPECT_EQ(by_sequence[0].first, (V{kStart, 1000, 1001, kPad}));
  EXPECT_EQ(by_sequence[0].second, (V{1000, 1001, kEop, kIgnore}));
  EXPECT_EQ(by_sequence[1].first, (V{kStart, 2000, kPad, kPad}));
  EXPECT_EQ(by_sequence[1].second, (V{2000, kEop, kIgnore, kIgnore}));
  EXPECT_EQ(by_sequence[2].first, (V{kStart, 3000, 3001, 3002}));
  EXPECT_EQ(by_sequence[2].second, (V{3000, 3001, 3002, 3003}));
  EXPECT_FALSE(batcher.next(batch));
}

TEST(PoemBatcher, PackedBatchesGroupSimilarLengths) {
  // Sorted lengths 2,3 | 4,5 | 6 with batch 2: T = 2, 4 and 5 steps.
  const auto seqs = sequences({5, 2, 6, 3, 4});
  Rng rng(11);
  PoemBatcher batcher(&seqs, kPad, {.batch = 2, .max_length = 125, .packed = true}, &rng);
  ASSERT_EQ(batcher.batches_per_epoch(), 3);
  std::map<int64_t, std::vector<int>> members_by_steps;
  for (const TokenBatch& batch : epoch_batches(batcher)) {
    std::vector<int> members;
    for (int64_t b = 0; b < batch.batch; ++b) members.push_back(sequence_of_column(batch, b));
    std::sort(members.begin(), members.end());
    members_by_steps[batch.steps] = members;
    ASSERT_EQ(batch.inputs.size(), static_cast<size_t>(batch.steps * batch.batch));
  }
  // Sequence 1 (length 2) has no id after its start: its column reads -1 there.
  EXPECT_EQ(members_by_steps,
            (std::map<int64_t, std::vector<int>>{{2, {-1, 3}}, {4, {0, 4}}, {5, {2}}}));
}

TEST(PoemBatcher, PackedColumnsArePaddedAtTheEnd) {
  const auto seqs = sequences({3, 5});
  Rng rng(2);
  PoemBatcher batcher(&seqs, kPad, {.batch = 2, .max_length = 125, .packed = true}, &rng);
  TokenBatch batch;
  ASSERT_TRUE(batcher.next(batch));
  ASSERT_EQ(batch.steps, 4);
  for (int64_t b = 0; b < 2; ++b) {
    using V = std::vector<int32_t>;
    if (sequence_of_column(batch, b) == 0) {
      EXPECT_EQ(column(batch.inputs, batch, b), (V{kStart, 1000, kPad, kPad}));
      EXPECT_EQ(column(batch.targets, batch, b), (V{1000, kEop, kIgnore, kIgnore}));
    } else {
      EXPECT_EQ(column(batch.inputs, batch, b), (V{kStart, 2000, 2001, 2002}));
      EXPECT_EQ(column(batch.targets, batch, b), (V{2000, 2001, 2002, kEop}));
    }
  }
}

std::vector<int> varied_lengths(int n) {
  // Lengths like the corpus (24..324 characters + 2): mostly 26, 34, 50, 66, some long.
  const int pattern[] = {26, 50, 34, 50, 66, 26, 50, 74, 98, 50, 34, 66, 154, 50, 326};
  std::vector<int> lengths;
  for (int i = 0; i < n; ++i) lengths.push_back(pattern[i % 15]);
  return lengths;
}

TEST(PoemBatcher, EveryEpochUsesEveryPoemOnceWithAFreshOrder) {
  for (const bool packed : {false, true}) {
    const auto seqs = sequences(varied_lengths(300));
    Rng rng(3);
    PoemBatcher batcher(&seqs, kPad, {.batch = 32, .max_length = 125, .packed = packed}, &rng);
    ASSERT_EQ(batcher.batches_per_epoch(), 10);  // ceil(300 / 32)
    std::vector<std::vector<int>> epoch_orders;
    for (int epoch = 0; epoch < 2; ++epoch) {
      const std::vector<TokenBatch> batches = epoch_batches(batcher);
      ASSERT_EQ(batches.size(), 10u);
      std::vector<int> order;
      int64_t smallest = 1 << 30;
      for (const TokenBatch& batch : batches) {
        smallest = std::min(smallest, batch.batch);
        for (int64_t b = 0; b < batch.batch; ++b) order.push_back(sequence_of_column(batch, b));
      }
      EXPECT_EQ(smallest, 300 - 9 * 32);  // one partial batch
      std::vector<int> sorted = order;
      std::sort(sorted.begin(), sorted.end());
      for (int i = 0; i < 300; ++i) ASSERT_EQ(sorted[i], i) << "packed " << packed;
      epoch_orders.push_back(order);
      batcher.start_epoch();
    }
    EXPECT_NE(epoch_orders[0], epoch_orders[1]) << "packed " << packed;
  }
}

TEST(PoemBatcher, PackedBatchesComeInShuffledOrder) {
  const auto seqs = sequences(varied_lengths(300));
  Rng rng(6);
  PoemBatcher batcher(&seqs, kPad, {.batch = 32, .max_length = 125, .packed = true}, &rng);
  std::vector<int64_t> steps;
  for (const TokenBatch& batch : epoch_batches(batcher)) steps.push_back(batch.steps);
  ASSERT_EQ(steps.size(), 10u);
  // Sorted order would be the packing order; 10 batches fall in sorted order by chance with
  // probability well below 1e-3 (several share a length).
  EXPECT_FALSE(std::is_sorted(steps.begin(), steps.end()));
}

// Counts padding target slots in the batches of one epoch.
double measured_padding(PoemBatcher& batcher) {
  int64_t padding = 0, slots = 0;
  for (const TokenBatch& batch : epoch_batches(batcher)) {
    padding += std::count(batch.targets.begin(), batch.targets.end(), kIgnore);
    slots += static_cast<int64_t>(batch.targets.size());
  }
  return static_cast<double>(padding) / static_cast<double>(slots);
}

TEST(PoemBatcher, PaddingFractionByHand) {
  // Lengths 2..6 give 1+2+3+4+5 = 15 targets. Padded to 125: 5 * 124 slots. Packed with batch 2:
  // {2,3} x 2 steps + {4,5} x 4 steps + {6} x 5 steps = 4 + 8 + 5 = 17 slots.
  const auto seqs = sequences({4, 2, 6, 3, 5});
  Rng rng(1);
  PoemBatcher padded(&seqs, kPad, {.batch = 2, .max_length = 125, .packed = false}, &rng);
  PoemBatcher packed(&seqs, kPad, {.batch = 2, .max_length = 125, .packed = true}, &rng);
  EXPECT_DOUBLE_EQ(padded.padding_fraction(), 1.0 - 15.0 / 620.0);
  EXPECT_DOUBLE_EQ(packed.padding_fraction(), 2.0 / 17.0);
  EXPECT_DOUBLE_EQ(measured_padding(padded), 1.0 - 15.0 / 620.0);
  EXPECT_DOUBLE_EQ(measured_padding(packed), 2.0 / 17.0);
}

TEST(PoemBatcher, PackingSpendsFarLessOnPadding) {
  const auto seqs = sequences(varied_lengths(1500));
  Rng rng(4);
  PoemBatcher padded(&seqs, kPad, {.batch = 128, .max_length = 125, .packed = false}, &rng);
  PoemBatcher packed(&seqs, kPad, {.batch = 128, .max_length = 125, .packed = true}, &rng);
  int64_t targets = 0;
  for (const auto& seq : seqs)
    targets += std::min<int64_t>(static_cast<int64_t>(seq.size()), 125) - 1;
  EXPECT_DOUBLE_EQ(padded.padding_fraction(), 1.0 - static_cast<double>(targets) / (1500.0 * 124));
  EXPECT_GT(padded.padding_fraction(), 0.5);
  // By hand: the cut lengths sorted are 26 x200, 34 x200, 50 x500, 66 x200, 74 x100, 98 x100,
  // 125 x200; of the batches of 128 only those straddling two lengths pad, the shorter poems by
  // the difference: 72*8 + 16*16 + 4*16 + 76*8 + 48*24 + 20*27 = 3196 slots of 90900 + 3196.
  EXPECT_DOUBLE_EQ(packed.padding_fraction(), 3196.0 / 94096.0);
  EXPECT_LT(packed.padding_fraction(), padded.padding_fraction() / 10);
  for (int epoch = 0; epoch < 2; ++epoch) {
    EXPECT_NEAR(measured_padding(packed), packed.padding_fraction(), 1e-12);
    packed.start_epoch();
  }
}

TEST(PoemBatcher, SameRngSameBatches) {
  const auto seqs = sequences(varied_lengths(100));
  Rng a(9), b(9), c(10);
  PoemBatcher first(&seqs, kPad, {.batch = 16}, &a);
  PoemBatcher second(&seqs, kPad, {.batch = 16}, &b);
  PoemBatcher other(&seqs, kPad, {.batch = 16}, &c);
  const auto x = epoch_batches(first), y = epoch_batches(second), z = epoch_batches(other);
  ASSERT_EQ(x.size(), y.size());
  bool all_same_as_other = x.size() == z.size();
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_TRUE(same(x[i], y[i])) << i;
    if (i < z.size()) all_same_as_other = all_same_as_other && same(x[i], z[i]);
  }
  EXPECT_FALSE(all_same_as_other);
}

TEST(PoemBatcher, ResumeIsExact) {
  for (const bool packed : {false, true}) {
    const auto seqs = sequences(varied_lengths(200));
    const PoemBatcherOptions options{.batch = 16, .max_length = 60, .packed = packed};
    Rng rng(21);
    PoemBatcher original(&seqs, kPad, options, &rng);
    epoch_batches(original);
    original.start_epoch();
    TokenBatch batch;
    ASSERT_TRUE(original.next(batch));
    ASSERT_TRUE(original.next(batch));
    // What a checkpoint stores: the batcher's position and the caller's Rng state.
    const BatchPosition saved = original.position();
    const Rng::State saved_rng = rng.state();
    EXPECT_EQ(saved.epoch, 1);
    EXPECT_EQ(saved.index, 2);
    rng.next_u64();  // the caller draws for other purposes (dropout, ...) after the checkpoint
    rng.set_state(saved_rng);
    std::vector<TokenBatch> expected = epoch_batches(original);
    original.start_epoch();
    for (const TokenBatch& b : epoch_batches(original)) expected.push_back(b);

    Rng resumed_rng(12345);  // a different state until restored
    PoemBatcher resumed(&seqs, kPad, options, &resumed_rng);
    resumed_rng.set_state(saved_rng);
    resumed.set_position(saved);
    EXPECT_EQ(resumed.position(), saved);
    std::vector<TokenBatch> got = epoch_batches(resumed);
    resumed.start_epoch();
    for (const TokenBatch& b : epoch_batches(resumed)) got.push_back(b);
    ASSERT_EQ(got.size(), expected.size()) << "packed " << packed;
    EXPECT_EQ(got.size(), 13u - 2u + 13u);  // ceil(200 / 16) = 13 per epoch
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_TRUE(same(got[i], expected[i])) << "packed " << packed << " batch " << i;
    }
    EXPECT_EQ(resumed.position(), original.position());
  }
}

TEST(PoemBatcher, RejectsBadInput) {
  Rng rng(1);
  const auto good = sequences({3, 4});
  const std::vector<std::vector<int32_t>> none;
  const std::vector<std::vector<int32_t>> too_short{{kStart, 5, kEop}, {kStart}};
  EXPECT_THROW(PoemBatcher(&none, kPad, {}, &rng), Error);
  EXPECT_THROW(PoemBatcher(nullptr, kPad, {}, &rng), Error);
  EXPECT_THROW(PoemBatcher(&too_short, kPad, {}, &rng), Error);
  EXPECT_THROW(PoemBatcher(&good, kPad, {.batch = 0}, &rng), Error);
  EXPECT_THROW(PoemBatcher(&good, kPad, {.max_length = 1}, &rng), Error);
  EXPECT_THROW(PoemBatcher(&good, kPad, {}, nullptr), Error);
  PoemBatcher batcher(&good, kPad, {.batch = 1}, &rng);
  EXPECT_THROW(batcher.set_position({.epoch = -1, .index = 0, .offset = 0}), Error);
  EXPECT_THROW(batcher.set_position({.epoch = 0, .index = 3, .offset = 0}), Error);
  EXPECT_THROW(batcher.set_position({.epoch = 0, .index = 0, .offset = -5}), Error);
  batcher.set_position({.epoch = 0, .index = 2, .offset = 7});  // the end of an epoch
  TokenBatch batch;
  EXPECT_FALSE(batcher.next(batch));
}

}  // namespace
}  // namespace rnnkit
