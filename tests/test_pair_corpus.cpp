#include "rnnkit/pair_corpus.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// The message of the Error that `f` throws (fails the test if it throws none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

TEST(PairCorpus, ParsesTheBooksUnderscoreLines) {
  PairCorpus c = parse_pairs("16+75  _91  \n\n52+607 _659 \r\n", PairFormat::Auto, "add.txt");
  EXPECT_EQ(c.format, PairFormat::Underscore);
  ASSERT_EQ(c.pairs.size(), 2u);
  EXPECT_EQ(c.pairs[0].question, "16+75  ");
  EXPECT_EQ(c.pairs[0].answer, "91  ");
  EXPECT_EQ(c.pairs[0].line, 1);
  EXPECT_EQ(c.pairs[1].question, "52+607 ");
  EXPECT_EQ(c.pairs[1].answer, "659 ");
  EXPECT_EQ(c.pairs[1].line, 3);
}

TEST(PairCorpus, SplitsAtTheFirstUnderscoreOnly) {
  PairCorpus c = parse_pairs("a_b_c", PairFormat::Underscore, "x");
  EXPECT_EQ(c.pairs[0].question, "a");
  EXPECT_EQ(c.pairs[0].answer, "b_c");
}

TEST(PairCorpus, ParsesTabSeparatedPairs) {
  PairCorpus c = parse_pairs("\nhello world\tbonjour_le monde\nzwei\tdeux", PairFormat::Auto, "x");
  EXPECT_EQ(c.format, PairFormat::Tsv);
  ASSERT_EQ(c.pairs.size(), 2u);
  EXPECT_EQ(c.pairs[0].question, "hello world");
  EXPECT_EQ(c.pairs[0].answer, "bonjour_le monde");
  EXPECT_EQ(c.pairs[0].line, 2);
  EXPECT_EQ(c.pairs[1].answer, "deux");
}

TEST(PairCorpus, ErrorsNameTheLine) {
  EXPECT_NE(error_of([] {
              parse_pairs("1+1_2\n2+2_4\n3+3 6\n", PairFormat::Auto, "add.txt");
            }).find("add.txt:3:"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { parse_pairs("a\tb\nc\td\te\n", PairFormat::Tsv, "p.tsv"); }).find("p.tsv:2:"),
      std::string::npos);
  EXPECT_NE(error_of([] { parse_pairs("a\tb\ncd\n", PairFormat::Auto, "p.tsv"); }).find("p.tsv:2:"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_pairs("1_2\n_4\n", PairFormat::Underscore, "f");
            }).find("f:2: empty question"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { parse_pairs("1_\n", PairFormat::Underscore, "f"); }).find("f:1: empty answer"),
      std::string::npos);
  EXPECT_NE(
      error_of([] { parse_pairs("ok_1\n\xff_2\n", PairFormat::Underscore, "f"); }).find("f:2:"),
      std::string::npos);
  EXPECT_THROW(parse_pairs("\n\n", PairFormat::Auto, "f"), Error);
  EXPECT_THROW(parse_pair_format("csv"), Error);
  EXPECT_EQ(parse_pair_format("tsv"), PairFormat::Tsv);
}

// Windows editors and spreadsheets write a byte-order mark first: it is no part of the first
// question or label.
TEST(PairCorpus, ALeadingByteOrderMarkIsDropped) {
  PairCorpus c = parse_pairs(
      "\xEF\xBB\xBF"
      "1+1_2\n2+2_4\n",
      PairFormat::Auto, "add.txt");
  ASSERT_EQ(c.pairs.size(), 2u);
  EXPECT_EQ(c.pairs[0].question, "1+1");
  auto texts = parse_labeled_texts(
      "\xEF\xBB\xBF"
      "yes\tAbA\nno\tAbB\n",
      "t.tsv");
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[0].label, "yes");
}

TEST(LabeledTexts, ALabelWithOuterSpacesIsRefused) {
  EXPECT_NE(error_of([] {
              parse_labeled_texts("ok\tA\nok \tB\n", "t.tsv");
            }).find("t.tsv:2: the label \"ok \" begins or ends with a space"),
            std::string::npos);
  EXPECT_EQ(parse_labeled_texts("very good\tA\n", "t.tsv")[0].label, "very good");
}

TEST(PairCorpus, LinesEndingInCarriageReturnsAloneAreNamed) {
  EXPECT_NE(error_of([] {
              parse_pairs("1_2\r3_4\r", PairFormat::Auto, "p.txt");
            }).find("p.txt: its lines end in CR alone"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              parse_labeled_texts("yes\tA\rno\tB\r", "t.tsv");
            }).find("t.tsv: its lines end in CR alone"),
            std::string::npos);
  EXPECT_EQ(parse_pairs("1_2\r", PairFormat::Auto, "p.txt").pairs.size(), 1u);
}

TEST(LabeledTexts, ParsesAndRejectsMissingLabels) {
  auto texts = parse_labeled_texts("yes\tAbcA\nno\tAbcB\n", "t.tsv");
  ASSERT_EQ(texts.size(), 2u);
  EXPECT_EQ(texts[1].label, "no");
  EXPECT_EQ(texts[1].text, "AbcB");
  EXPECT_EQ(texts[1].line, 2);
  EXPECT_NE(error_of([] {
              parse_labeled_texts("yes\tA\n\tAbc\n", "t.tsv");
            }).find("t.tsv:2: missing label"),
            std::string::npos);
  EXPECT_NE(
      error_of([] { parse_labeled_texts("yes\tA\nno\tB\njust text\n", "t.tsv"); }).find("t.tsv:3:"),
      std::string::npos);
  EXPECT_NE(error_of([] { parse_labeled_texts("yes\t\n", "t.tsv"); }).find("t.tsv:1: empty text"),
            std::string::npos);
}

TEST(NumpyShuffle, MatchesNumpyLegacyShuffle) {
  // numpy 1.24: a = numpy.arange(n); numpy.random.seed(s); numpy.random.shuffle(a)
  EXPECT_EQ(numpy_shuffled_indices(10, 7), (std::vector<int64_t>{8, 5, 0, 2, 1, 9, 7, 3, 6, 4}));
  std::vector<int64_t> big = numpy_shuffled_indices(50000, 1984);
  EXPECT_EQ(std::vector<int64_t>(big.begin(), big.begin() + 8),
            (std::vector<int64_t>{21921, 48929, 19568, 37778, 32165, 3139, 33032, 35227}));
  EXPECT_EQ(std::vector<int64_t>(big.end() - 5, big.end()),
            (std::vector<int64_t>{37960, 10009, 1779, 38655, 30319}));
  EXPECT_TRUE(numpy_shuffled_indices(0, 1).empty());
  EXPECT_EQ(numpy_shuffled_indices(1, 1), std::vector<int64_t>{0});
}

TEST(BookSplit, HoldsOutTheShuffledTail) {
  IndexSplit s = book_split(50000, 1984, 0.1);
  EXPECT_EQ(s.train.size(), 45000u);
  ASSERT_EQ(s.test.size(), 5000u);
  EXPECT_EQ(s.train.front(), 21921);
  EXPECT_EQ(s.test.back(), 30319);
  EXPECT_EQ(book_split(20, 1, 0.25).test.size(), 5u);
  EXPECT_THROW(book_split(7, 1, 0.1), Error);  // floor(0.7) = 0 held out
  EXPECT_THROW(book_split(10, 1, 1.0), Error);
}

TEST(LengthBucketedBatches, EveryBatchHasOneLengthAndEveryIndexAppearsOnce) {
  const std::vector<int64_t> lengths{3, 5, 3, 3, 5, 7, 3, 5, 3};
  const std::vector<int64_t> indices{0, 1, 2, 3, 4, 5, 6, 7, 8};
  Rng rng(4);
  auto batches = length_bucketed_batches(indices, lengths, 2, &rng);
  std::multiset<int64_t> seen;
  for (const auto& batch : batches) {
    ASSERT_FALSE(batch.empty());
    EXPECT_LE(batch.size(), 2u);
    for (int64_t i : batch) {
      EXPECT_EQ(lengths[i], lengths[batch[0]]);
      seen.insert(i);
    }
  }
  EXPECT_EQ(seen, std::multiset<int64_t>(indices.begin(), indices.end()));
  // 5 of length 3, 3 of length 5, 1 of length 7: 3 + 2 + 1 batches.
  EXPECT_EQ(batches.size(), 6u);
}

TEST(LengthBucketedBatches, WithoutRngKeepsTheOrderWithinALength) {
  const std::vector<int64_t> lengths{4, 4, 4, 4, 4};
  const std::vector<int64_t> indices{4, 0, 3, 1, 2};
  auto batches = length_bucketed_batches(indices, lengths, 2, nullptr);
  EXPECT_EQ(batches, (std::vector<std::vector<int64_t>>{{4, 0}, {3, 1}, {2}}));
  EXPECT_THROW(length_bucketed_batches(indices, lengths, 0, nullptr), Error);
  EXPECT_THROW(length_bucketed_batches(std::vector<int64_t>{9}, lengths, 2, nullptr), Error);
}

}  // namespace
}  // namespace rnnkit
