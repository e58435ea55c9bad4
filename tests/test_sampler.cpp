#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "error_of.h"
#include "rnnkit/error.h"
#include "rnnkit/rng.h"
#include "rnnkit/sampler.h"

namespace rnnkit {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// Logits whose softmax is exactly `probabilities` (up to rounding).
std::vector<float> logits_of(const std::vector<double>& probabilities) {
  std::vector<float> logits;
  for (double p : probabilities) logits.push_back(p > 0 ? static_cast<float>(std::log(p)) : -kInf);
  return logits;
}

void expect_distribution(const std::vector<float>& actual, const std::vector<double>& expected,
                         const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (expected[i] == 0)
      EXPECT_EQ(actual[i], 0.0f) << what << ", token " << i;
    else
      EXPECT_NEAR(actual[i], expected[i], 1e-6) << what << ", token " << i;
  }
}

TEST(SamplingDistribution, MatchesHandComputedTable) {
  const std::vector<double> probs = {0.1, 0.2, 0.3, 0.4};
  struct Case {
    std::string what;
    SamplingOptions options;
    std::vector<uint8_t> allowed;
    std::vector<double> expected;
  };
  const double sq = std::sqrt(0.1) + std::sqrt(0.2) + std::sqrt(0.3) + std::sqrt(0.4);
  const std::vector<Case> cases = {
      {"plain softmax", {.temperature = 1}, {}, {0.1, 0.2, 0.3, 0.4}},
      {"top_k 3", {.temperature = 1, .top_k = 3}, {}, {0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9}},
      {"top_k 1", {.temperature = 1, .top_k = 1}, {}, {0, 0, 0, 1}},
      {"top_k above V", {.temperature = 1, .top_k = 10}, {}, {0.1, 0.2, 0.3, 0.4}},
      {"top_p 0.65", {.temperature = 1, .top_p = 0.65f}, {}, {0, 0, 0.3 / 0.7, 0.4 / 0.7}},
      {"top_p 0.35", {.temperature = 1, .top_p = 0.35f}, {}, {0, 0, 0, 1}},
      {"top_p 0.85", {.temperature = 1, .top_p = 0.85f}, {}, {0, 0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9}},
      // After top_k 3 the shares are 2/9, 3/9, 4/9: 4/9 < 0.5, so 3/9 joins.
      {"top_k 3 then top_p 0.5",
       {.temperature = 1, .top_k = 3, .top_p = 0.5f},
       {},
       {0, 0, 0.3 / 0.7, 0.4 / 0.7}},
      // Measured on the original shares, 0.4 < 0.44 would keep token 2 as well.
      {"top_k 3 then top_p 0.44", {.temperature = 1, .top_k = 3, .top_p = 0.44f}, {}, {0, 0, 0, 1}},
      {"temperature 0.5 squares",
       {.temperature = 0.5},
       {},
       {0.01 / 0.3, 0.04 / 0.3, 0.09 / 0.3, 0.16 / 0.3}},
      {"temperature 2 takes roots",
       {.temperature = 2},
       {},
       {std::sqrt(0.1) / sq, std::sqrt(0.2) / sq, std::sqrt(0.3) / sq, std::sqrt(0.4) / sq}},
      {"mask", {.temperature = 1}, {1, 0, 1, 0}, {0.25, 0, 0.75, 0}},
      {"mask before top_k", {.temperature = 1, .top_k = 1}, {1, 1, 1, 0}, {0, 0, 1, 0}},
      {"mask before top_p", {.temperature = 1, .top_p = 0.45f}, {1, 1, 1, 0}, {0, 0, 1, 0}},
      {"greedy", {.temperature = 0}, {}, {0, 0, 0, 1}},
      {"greedy ignores top_k", {.temperature = 0, .top_k = 2}, {}, {0, 0, 0, 1}},
      {"greedy with mask", {.temperature = -1}, {1, 1, 0, 0}, {0, 1, 0, 0}},
  };
  for (const Case& c : cases)
    expect_distribution(sampling_distribution(logits_of(probs), c.options, c.allowed), c.expected,
                        c.what);
}

TEST(SamplingDistribution, MinusInfinityLogitsHaveNoMass) {
  const std::vector<float> logits = {0.0f, -kInf, 0.0f};
  expect_distribution(sampling_distribution(logits, {.temperature = 1}), {0.5, 0, 0.5}, "-inf");
  expect_distribution(sampling_distribution(logits, {.temperature = 0}), {1, 0, 0}, "greedy -inf");
}

TEST(SamplingDistribution, TopKBreaksTiesByLowerId) {
  const std::vector<float> logits = {1.0f, 2.0f, 2.0f, 2.0f, 1.0f};
  expect_distribution(sampling_distribution(logits, {.temperature = 1, .top_k = 2}),
                      {0, 0.5, 0.5, 0, 0}, "ties");
}

TEST(SampleToken, GreedyTakesLowestIdOfTheMaximum) {
  Rng rng(1);
  const std::vector<float> logits = {1.0f, 3.0f, 3.0f, 2.0f};
  EXPECT_EQ(sample_token(logits, {.temperature = 0}, rng), 1);
  EXPECT_EQ(sample_token(logits, {.temperature = -0.5f}, rng), 1);
  const std::vector<uint8_t> allowed = {1, 0, 1, 1};
  EXPECT_EQ(sample_token(logits, {.temperature = 0}, rng, allowed), 2);
}

// Below 1 / FLT_MAX the inverse temperature overflows float: greedy, not NaN weights.
TEST(SamplingDistribution, VanishingTemperatureIsGreedy) {
  const std::vector<float> logits = {0.5f, 2.0f, 1.0f, 2.0f};
  for (const float temperature : {1e-39f, 1e-45f})
    expect_distribution(sampling_distribution(logits, {.temperature = temperature}), {0, 1, 0, 0},
                        "temperature " + std::to_string(temperature));
  Rng rng(3);
  EXPECT_EQ(sample_token(logits, {.temperature = 1e-40f}, rng), 1);
}

TEST(SampleToken, DrawsExactlyOneUniformPerCall) {
  const std::vector<float> logits = logits_of({0.1, 0.2, 0.3, 0.4});
  for (const SamplingOptions& options :
       {SamplingOptions{.temperature = 0}, SamplingOptions{.temperature = 1},
        SamplingOptions{.temperature = 0.7f, .top_k = 2, .top_p = 0.9f}}) {
    Rng rng(99);
    Rng reference(99);
    for (int i = 0; i < 5; ++i) {
      sample_token(logits, options, rng);
      reference.uniform();
      EXPECT_EQ(rng.state(), reference.state());
    }
  }
}

TEST(SampleToken, SameSeedSameSequence) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i));
  const SamplingOptions options{.temperature = 1.2f, .top_k = 20, .top_p = 0.95f};
  auto draw = [&](uint64_t seed) {
    Rng rng(seed);
    std::vector<int32_t> tokens;
    for (int i = 0; i < 200; ++i) tokens.push_back(sample_token(logits, options, rng));
    return tokens;
  };
  EXPECT_EQ(draw(7), draw(7));
  EXPECT_NE(draw(7), draw(8));
}

// Pearson's chi-square over many seeded draws; the bound is the 0.999 quantile for the degrees
// of freedom (number of possible tokens - 1), and impossible tokens must never appear.
void expect_frequencies_match(const std::vector<float>& logits, const SamplingOptions& options,
                              std::span<const uint8_t> allowed, double chi_square_bound,
                              int draws = 40000) {
  const std::vector<float> p = sampling_distribution(logits, options, allowed);
  std::vector<int> counts(p.size());
  Rng rng(2024);
  for (int i = 0; i < draws; ++i) ++counts[sample_token(logits, options, rng, allowed)];
  double chi_square = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == 0) {
      EXPECT_EQ(counts[i], 0) << "token " << i << " has probability 0";
      continue;
    }
    const double expected = draws * static_cast<double>(p[i]);
    chi_square += (counts[i] - expected) * (counts[i] - expected) / expected;
  }
  EXPECT_LT(chi_square, chi_square_bound);
}

TEST(SampleToken, FrequenciesFollowTheDistribution) {
  const std::vector<float> logits = logits_of({0.05, 0.1, 0.15, 0.2, 0.25, 0.25});
  expect_frequencies_match(logits, {.temperature = 1}, {}, 20.52);  // 5 degrees of freedom
  expect_frequencies_match(logits, {.temperature = 0.8f, .top_k = 4}, {}, 16.27);  // 3
  expect_frequencies_match(logits, {.temperature = 1, .top_p = 0.6f}, {}, 13.82);  // 2: 3 kept
  const std::vector<uint8_t> allowed = {1, 1, 0, 1, 0, 1};
  expect_frequencies_match(logits, {.temperature = 1.5f}, allowed, 16.27);  // 3
}

// An independent reading of sampler.h's definition, in double with a full sort: the candidates
// (allowed, logit not -inf), most probable first with ties to the lower id, the top k of them,
// the softmax at the temperature, the smallest prefix whose mass reaches top_p, renormalised.
std::vector<double> reference_distribution(const std::vector<float>& logits,
                                           const SamplingOptions& options,
                                           const std::vector<uint8_t>& allowed) {
  std::vector<int32_t> order;
  for (size_t i = 0; i < logits.size(); ++i)
    if ((allowed.empty() || allowed[i] != 0) && logits[i] != -kInf)
      order.push_back(static_cast<int32_t>(i));
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return logits[a] > logits[b]; });
  if (options.top_k > 0 && static_cast<size_t>(options.top_k) < order.size())
    order.resize(options.top_k);
  std::vector<double> weights;
  for (int32_t id : order)
    weights.push_back(
        std::exp((static_cast<double>(logits[id]) - logits[order[0]]) / options.temperature));
  const double total = std::accumulate(weights.begin(), weights.end(), 0.0);
  size_t kept = weights.size();
  if (options.top_p < 1) {
    double cumulative = 0;
    kept = 0;
    while (kept < weights.size() && cumulative < options.top_p * total)
      cumulative += weights[kept++];
  }
  const double kept_total = std::accumulate(weights.begin(), weights.begin() + kept, 0.0);
  std::vector<double> p(logits.size());
  for (size_t j = 0; j < kept; ++j) p[order[j]] = weights[j] / kept_total;
  return p;
}

// Vocabularies of many blocks and a ragged tail, masked or not, with ties, against the reference:
// the same tokens kept (none closer to the top-p cut than rounding could matter) and the same
// probabilities.
TEST(SamplingDistribution, LongRowsMatchTheReference) {
  Rng make(5);
  for (const int64_t n : {1000, 8293}) {
    std::vector<float> logits(n);
    for (auto& logit : logits) logit = static_cast<float>(make.below(4000)) / 400.0f - 5.0f;
    std::vector<uint8_t> allowed(n);
    for (auto& a : allowed) a = make.below(4) != 0;
    for (const auto& mask : {std::vector<uint8_t>{}, allowed}) {
      for (const SamplingOptions& options :
           {SamplingOptions{.temperature = 1}, SamplingOptions{.temperature = 0.6f, .top_k = 40},
            SamplingOptions{.temperature = 1, .top_k = 1000},
            SamplingOptions{.temperature = 1.3f, .top_p = 0.9f},
            SamplingOptions{.temperature = 0.5f, .top_p = 0.3f},
            SamplingOptions{.temperature = 0.8f, .top_k = 300, .top_p = 0.7f}}) {
        const std::string what = "n " + std::to_string(n) + (mask.empty() ? "" : " masked") +
                                 " T " + std::to_string(options.temperature) + " top_k " +
                                 std::to_string(options.top_k) + " top_p " +
                                 std::to_string(options.top_p);
        const std::vector<double> expected = reference_distribution(logits, options, mask);
        const std::vector<float> actual = sampling_distribution(logits, options, mask);
        ASSERT_EQ(actual.size(), expected.size());
        int64_t kept = 0;
        for (int64_t i = 0; i < n; ++i) {
          kept += expected[i] > 0;
          ASSERT_EQ(actual[i] > 0, expected[i] > 0) << what << ", token " << i;
          ASSERT_NEAR(actual[i], expected[i], 1e-6 + 1e-5 * expected[i]) << what << ", token " << i;
        }
        EXPECT_GT(kept, 1) << what;
      }
    }
  }
}

// The nucleus cut falls among tied logits: they rank by id, so the lower ids are kept first.
TEST(SamplingDistribution, TopPCutsTiesByLowerId) {
  const std::vector<float> logits = {0.0f, 1.0f, 1.0f, 1.0f};
  const double e = std::exp(1.0);
  // Most probable first: 1, 2, 3 at e / (1 + 3e) = 0.297 each; two reach 0.5.
  expect_distribution(sampling_distribution(logits, {.temperature = 1, .top_p = 0.5f}),
                      {0, 0.5, 0.5, 0}, "top_p 0.5");
  expect_distribution(sampling_distribution(logits, {.temperature = 1, .top_p = 0.25f}),
                      {0, 1, 0, 0}, "top_p 0.25");
  expect_distribution(sampling_distribution(logits, {.temperature = 1, .top_p = 0.95f}),
                      {1 / (1 + 3 * e), e / (1 + 3 * e), e / (1 + 3 * e), e / (1 + 3 * e)},
                      "top_p 0.95");
}

// sample_token walks the candidates in id order (top-k: most probable first) and stops where the
// running probability passes its uniform draw: every draw lands on the token whose interval of
// the cumulative distribution holds the draw (within float rounding), across blocks and tails.
TEST(SampleToken, DrawIsTheInverseOfTheCumulativeDistribution) {
  Rng make(6);
  const int64_t n = 3001;
  std::vector<float> logits(n);
  for (auto& logit : logits) logit = static_cast<float>(make.below(1000)) / 100.0f;
  std::vector<uint8_t> allowed(n);
  for (auto& a : allowed) a = make.below(3) != 0;
  for (const auto& mask : {std::vector<uint8_t>{}, allowed}) {
    for (const SamplingOptions& options :
         {SamplingOptions{.temperature = 1}, SamplingOptions{.temperature = 0.7f, .top_p = 0.8f},
          SamplingOptions{.temperature = 2, .top_k = 500}}) {
      const std::vector<float> p = sampling_distribution(logits, options, mask);
      std::vector<int32_t> order(n);
      std::iota(order.begin(), order.end(), 0);
      if (options.top_k > 0)
        std::stable_sort(order.begin(), order.end(),
                         [&](int32_t a, int32_t b) { return p[a] > p[b]; });
      std::vector<double> before(n), through(n);  // cumulative, in walk order, by token
      double cumulative = 0;
      for (int32_t id : order) {
        before[id] = cumulative;
        cumulative += p[id];
        through[id] = cumulative;
      }
      Rng rng(11), reference(11);
      for (int draw = 0; draw < 2000; ++draw) {
        const int32_t id = sample_token(logits, options, rng, mask);
        const double u = reference.uniform();
        ASSERT_GT(p[id], 0.0f) << "draw " << draw;
        ASSERT_GE(u, before[id] - 1e-6) << "draw " << draw << " token " << id;
        ASSERT_LT(u, through[id] + 1e-6) << "draw " << draw << " token " << id;
      }
    }
  }
}

// Many tokens over several blocks: the frequencies of 200,000 draws against the distribution.
TEST(SampleToken, FrequenciesFollowALongDistribution) {
  std::vector<float> logits(300);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i)) * 1.5f;
  std::vector<uint8_t> allowed(logits.size());
  for (size_t i = 0; i < allowed.size(); ++i) allowed[i] = i % 5 != 2;
  expect_frequencies_match(logits, {.temperature = 1}, {}, 380.3, 200000);  // 299 degrees: 0.999
  expect_frequencies_match(logits, {.temperature = 1}, allowed, 312.3, 200000);  // 239
}

TEST(Sampling, ValidateNamesTheBadField) {
  struct Case {
    SamplingOptions options;
    std::string field;
  };
  for (const Case& c : std::vector<Case>{{{.temperature = NAN}, "temperature"},
                                         {{.temperature = kInf}, "temperature"},
                                         {{.top_k = -1}, "top_k"},
                                         {{.top_p = 0}, "top_p"},
                                         {{.top_p = 1.5f}, "top_p"},
                                         {{.top_p = NAN}, "top_p"}}) {
    try {
      validate(c.options);
      ADD_FAILURE() << "accepted bad " << c.field;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.field), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(
      testing::error_of([] { validate({.temperature = kInf}); }),  // --temp 1e39, read as a float
      "invalid sampling option temperature: must be finite, got inf (as a float: values "
      "past 3.4e38 overflow)");
  EXPECT_NO_THROW(validate({}));
  EXPECT_NO_THROW(validate({.temperature = 0, .top_k = 5, .top_p = 1}));
  Rng rng;
  EXPECT_THROW(sample_token(std::vector<float>{1.0f}, {.top_p = 2}, rng), Error);
}

TEST(Sampling, RejectsLogitsThatCannotBeSampled) {
  Rng rng;
  const SamplingOptions options;
  const std::vector<float> logits = {1.0f, 2.0f};
  EXPECT_THROW(sample_token(std::vector<float>{}, options, rng), Error);
  EXPECT_THROW(sample_token(logits, options, rng, std::vector<uint8_t>{1}), Error);
  EXPECT_THROW(sample_token(logits, options, rng, std::vector<uint8_t>{0, 0}), Error);
  EXPECT_THROW(sample_token(std::vector<float>{-kInf, -kInf}, options, rng), Error);
  EXPECT_THROW(sample_token(std::vector<float>{1.0f, NAN}, options, rng), Error);
  EXPECT_THROW(sample_token(std::vector<float>{1.0f, kInf}, {.temperature = 0}, rng), Error);
  EXPECT_THROW(sampling_distribution(logits, options, std::vector<uint8_t>{0, 0}), Error);
  // A NaN on a forbidden token does not matter.
  EXPECT_EQ(sample_token(std::vector<float>{1.0f, NAN}, options, rng, std::vector<uint8_t>{1, 0}),
            0);
}

// Every logit -inf is what a model whose outputs overflow gives: the message says so even where
// a mask forbids some tokens (generation forbids the special ones), and blames the mask only when
// it forbids the tokens whose logits are not -inf.
TEST(Sampling, NamesTheModelWhenEveryLogitIsMinusInfinity) {
  Rng rng;
  const std::vector<float> overflowed = {-kInf, -kInf, -kInf};
  const std::string plain = testing::error_of([&] { sample_token(overflowed, {}, rng); });
  EXPECT_NE(plain.find("the model's outputs overflow"), std::string::npos) << plain;
  const std::string with_mask = testing::error_of([&] {
    sample_token(overflowed, {}, rng, std::vector<uint8_t>{1, 1, 0});
  });
  EXPECT_NE(with_mask.find("the model's outputs overflow"), std::string::npos) << with_mask;
  const std::string masked = testing::error_of([&] {
    sample_token(std::vector<float>{-kInf, 2.0f, -kInf}, {}, rng, std::vector<uint8_t>{1, 0, 1});
  });
  EXPECT_NE(masked.find("the token mask forbids"), std::string::npos) << masked;
  EXPECT_EQ(masked.find("overflow"), std::string::npos) << masked;
}

// Rows long enough for the vector loops, with the odd token anywhere: at the start, around a
// vector's 16 lanes, in the tail. A NaN or +inf is refused unless the mask forbids its token;
// a -inf token gets no mass; with a mask, the distribution is the softmax over allowed tokens.
TEST(Sampling, ChecksAndMasksEveryTokenOfALongRow) {
  Rng rng;
  const int64_t n = 100;
  std::vector<double> weights(n);
  std::vector<float> logits(n);
  std::vector<uint8_t> allowed(n);
  for (int64_t i = 0; i < n; ++i) {
    logits[i] = static_cast<float>((i * 7) % 11) * 0.25f;
    weights[i] = std::exp(static_cast<double>(logits[i]));
    allowed[i] = i % 3 != 1;
  }
  for (const int64_t at : {0, 15, 16, 17, 63, 99}) {
    for (const float odd : {NAN, kInf}) {
      std::vector<float> row = logits;
      row[at] = odd;
      EXPECT_THROW(sample_token(row, {}, rng), Error) << at << " " << odd;
      std::vector<uint8_t> mask = allowed;
      mask[at] = 0;
      EXPECT_NO_THROW(sample_token(row, {}, rng, mask)) << at << " " << odd;
      mask[at] = 1;
      EXPECT_THROW(sample_token(row, {}, rng, mask), Error) << at << " " << odd;
    }
    std::vector<float> row = logits;
    row[at] = -kInf;
    for (const bool masked : {false, true}) {
      std::vector<double> expected(n);
      double total = 0;
      for (int64_t i = 0; i < n; ++i)
        if (i != at && (!masked || allowed[i])) total += weights[i];
      for (int64_t i = 0; i < n; ++i)
        if (i != at && (!masked || allowed[i])) expected[i] = weights[i] / total;
      expect_distribution(
          sampling_distribution(row, {.temperature = 1}, masked ? allowed : std::vector<uint8_t>{}),
          expected, "-inf at " + std::to_string(at) + (masked ? ", masked" : ""));
    }
  }
}

// Random rows with NaN, ±inf, huge and tiny logits, random masks and options: every call either
// throws Error or draws a token the mask allows whose logit is finite, and the distribution is
// one (a NaN weight or a walk past the end would show here, or crash under ASan).
TEST(Sampling, RandomRowsGiveATokenOrAnError) {
  Rng make(12);
  const float specials[] = {NAN, kInf, -kInf, 3e38f, -3e38f, 1e-38f, 0.0f};
  int drawn = 0, refused = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const int64_t n = 1 + static_cast<int64_t>(make.below(300));
    std::vector<float> logits(n);
    for (auto& logit : logits)
      logit = make.below(200) == 0 ? specials[make.below(7)]
                                   : static_cast<float>(make.below(2000)) / 100.0f - 10.0f;
    std::vector<uint8_t> allowed;
    if (make.below(2) == 0)
      for (int64_t i = 0; i < n; ++i) allowed.push_back(make.below(3) != 0);
    const float temperatures[] = {0.0f, 1e-30f, 0.3f, 1.0f, 5.0f};
    const SamplingOptions options{.temperature = temperatures[make.below(5)],
                                  .top_k = static_cast<int>(make.below(3)) * 7,
                                  .top_p = make.below(2) == 0 ? 1.0f : 0.5f};
    Rng rng(trial);
    try {
      const int32_t id = sample_token(logits, options, rng, allowed);
      ASSERT_TRUE(id >= 0 && id < n) << "trial " << trial;
      EXPECT_TRUE(std::isfinite(logits[id])) << "trial " << trial << " token " << id;
      if (!allowed.empty()) {
        EXPECT_NE(allowed[id], 0) << "trial " << trial;
      }
      const std::vector<float> p = sampling_distribution(logits, options, allowed);
      EXPECT_GT(p[id], 0.0f) << "trial " << trial;
      double total = 0;
      for (float q : p) total += q;
      EXPECT_NEAR(total, 1.0, 1e-5) << "trial " << trial;
      ++drawn;
    } catch (const Error&) {
      // A NaN or +inf among the allowed tokens, or none left: refused, as documented.
      ++refused;
    }
  }
  EXPECT_GT(drawn, 100);
  EXPECT_GT(refused, 20);
}

// A drawn seed is reported in JSON and replayed from it: JavaScript reads numbers exactly up to
// 2^53 - 1 only, so every seed lies below 2^53 (with 64 random bits, 200 draws would all lie
// below it once in 2^2200), and they differ.
TEST(RandomSeed, EveryDrawIsExactInJavaScriptAndTheyDiffer) {
  std::set<uint64_t> seeds;
  for (int i = 0; i < 200; ++i) {
    const uint64_t seed = random_seed();
    EXPECT_LE(seed, uint64_t{9007199254740991});
    seeds.insert(seed);
  }
  EXPECT_GT(seeds.size(), 190u);
}

}  // namespace
}  // namespace rnnkit
