// The output layer's loss with its logits never stored (linear_softmax_cross_entropy): against a
// double-precision reference over class counts that end mid-panel and mid-block of columns, with
// ignored rows and targets on the blocks' edges; each row's loss independent of the rows beside
// it and of the thread count; a language model's loss without a gradient equal to its loss with
// one (the stored logits' path).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "panel_kernel_support.h"
#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"
#include "tensor/panel_product.h"
#include "tiny_language_models.h"

namespace rnnkit {
namespace {

// 300 rows (two blocks of 128 and a part), 1,100 classes (two blocks of 512 columns and 76; the
// last panel 12 columns wide), 40 features.
struct Problem {
  int64_t N = 300, F = 40, V = 1100;
  std::vector<float> features = testing::random_values(N * F, 1, 2.0f);
  std::vector<float> weight = testing::random_values(V * F, 2, 0.5f);
  std::vector<float> bias = testing::random_values(V, 3, 1.0f);
  std::vector<int32_t> targets;
  CacheAlignedVector<float> panels;

  Problem() {
    Rng rng(4);
    for (int64_t i = 0; i < N; ++i) targets.push_back(static_cast<int32_t>(rng.next_u64() % V));
    // The edges of the column blocks and panels, and rows the loss ignores.
    for (int32_t edge : {0, 31, 32, 511, 512, 1023, 1024, 1087, 1088, 1099})
      targets[static_cast<size_t>(edge % N)] = edge;
    for (int64_t i : {7, 128, 255, 299}) targets[static_cast<size_t>(i)] = kIgnoreIndex;
    panel_product::pack(Trans::Yes, F, V, weight.data(), F, panels);
  }
  CrossEntropySum loss(int64_t first, int64_t rows) const {
    return linear_softmax_cross_entropy(features.data() + first * F, rows, F, panels.data(),
                                        bias.data(), V, targets.data() + first, kIgnoreIndex);
  }
  // Row i's loss in double precision, straight from the definition.
  double reference(int64_t i) const {
    std::vector<double> z(static_cast<size_t>(V));
    double max = -INFINITY;
    for (int64_t v = 0; v < V; ++v) {
      double s = bias[v];
      for (int64_t k = 0; k < F; ++k) s += double{features[i * F + k]} * weight[v * F + k];
      z[v] = s;
      max = std::max(max, s);
    }
    double sum = 0;
    for (double s : z) sum += std::exp(s - max);
    return std::log(sum) + max - z[targets[i]];
  }
};

TEST(LinearCrossEntropy, MatchesADoublePrecisionReference) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  const Problem p;
  double expected = 0;
  int64_t counted = 0;
  for (int64_t i = 0; i < p.N; ++i) {
    if (p.targets[i] == kIgnoreIndex) continue;
    const double row = p.reference(i);
    EXPECT_NEAR(p.loss(i, 1).loss_sum, row, 1e-4 * std::max(1.0, std::abs(row))) << "row " << i;
    expected += row;
    ++counted;
  }
  const CrossEntropySum all = p.loss(0, p.N);
  EXPECT_EQ(all.count, counted);
  EXPECT_NEAR(all.loss_sum, expected, 1e-5 * std::abs(expected));
}

void expect_rows_match_the_reference(const Problem& p) {
  for (int64_t i = 0; i < p.N; ++i) {
    if (p.targets[i] == kIgnoreIndex) continue;
    const double row = p.reference(i);
    EXPECT_NEAR(p.loss(i, 1).loss_sum, row, 1e-4 * std::max(1.0, std::abs(row))) << "row " << i;
  }
}

// The running sum keeps the first block's largest logit as its shift while later blocks stay
// within 64 of it (terms up to e^64) and starts again from a later block's largest when that lies
// further above; blocks far below add terms that vanish.
TEST(LinearCrossEntropy, LaterBlocksFarAboveOrBelowTheFirstKeepTheSumExact) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  Problem above;
  for (int64_t v = 512; v < above.V; ++v) above.bias[v] += v < 1024 ? 40.0f : 300.0f;
  expect_rows_match_the_reference(above);
  Problem below;
  for (int64_t v = 512; v < below.V; ++v) below.bias[v] -= 200.0f;
  expect_rows_match_the_reference(below);
}

TEST(LinearCrossEntropy, ANaNOrInfiniteLogitMakesTheLossNotFinite) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  for (float bad : {NAN, INFINITY, -INFINITY}) {
    for (int64_t v : {int64_t{3}, int64_t{700}, int64_t{1099}}) {
      Problem p;
      p.bias[v] = bad;
      // -inf is a class that can never be drawn: finite, unless it is the target.
      if (bad == -INFINITY) {
        EXPECT_TRUE(std::isfinite(p.loss(0, 1).loss_sum)) << v;
        p.targets[0] = static_cast<int32_t>(v);
      }
      EXPECT_FALSE(std::isfinite(p.loss(0, 1).loss_sum)) << bad << " at class " << v;
    }
  }
  Problem p;
  p.features[5 * p.F + 7] = NAN;
  EXPECT_FALSE(std::isfinite(p.loss(5, 1).loss_sum));
  EXPECT_TRUE(std::isfinite(p.loss(4, 1).loss_sum));
}

TEST(LinearCrossEntropy, EachRowsLossIsTheSameAloneAndForAnyThreadCount) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  SettingsGuard guard;
  const Problem p;
  // The rows' float losses are the same bits alone or in blocks; only the double sum's order
  // differs.
  double alone = 0;
  for (int64_t i = 0; i < p.N; ++i) alone += p.loss(i, 1).loss_sum;
  for (int threads : {1, 2, 3}) {
    set_num_threads(threads);
    EXPECT_NEAR(p.loss(0, p.N).loss_sum, alone, 1e-12 * std::abs(alone)) << threads << " threads";
  }
}

TEST(LinearCrossEntropy, ATargetOutsideTheClassesIsAnError) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  Problem p;
  p.targets[5] = static_cast<int32_t>(p.V);
  EXPECT_THROW(p.loss(0, p.N), Error);
  p.targets[5] = -1;
  EXPECT_THROW(p.loss(0, p.N), Error);
}

TEST(LinearCrossEntropy, ALanguageModelsLossWithoutAGradientIsItsLossWithOne) {
  SettingsGuard guard;
  // 32 steps x 8 streams: 256 rows, enough for the loss alone to take the path (on the AVX-512
  // and AVX2 CPU paths).
  LanguageModel model = testing::random_model(CellKind::Lstm, 700, 5, 16, 24, 1);
  TokenBatch batch{32, 8, {}, {}};
  Rng rng(6);
  for (int64_t i = 0; i < 256; ++i) {
    batch.inputs.push_back(static_cast<int32_t>(rng.next_u64() % 700));
    batch.targets.push_back(static_cast<int32_t>(rng.next_u64() % 700));
  }
  EXPECT_EQ(linear_softmax_cross_entropy_suits(256, 24), cpu_path() != CpuPath::Baseline);
  LMState s1, s2;
  const LossResult alone = model.forward_backward(batch, s1, false, false, nullptr);
  const LossResult with_gradient = model.forward_backward(batch, s2, false, true, nullptr);
  EXPECT_EQ(alone.count, 256);
  EXPECT_NEAR(alone.loss_sum, with_gradient.loss_sum, 1e-6 * std::abs(with_gradient.loss_sum));

  // The loss alone keeps the output weight's panels between calls, until the weights change: a
  // new output weight must give the loss of the path that reads the weight itself.
  Rng perturb(8);
  for (float& v : model.fc().weight().value.span()) v += 0.5f * perturb.uniform(-1.0f, 1.0f);
  note_weights_changed();
  LMState s3, s4;
  const LossResult changed = model.forward_backward(batch, s3, false, false, nullptr);
  const LossResult changed_with_gradient = model.forward_backward(batch, s4, false, true, nullptr);
  EXPECT_GT(std::abs(changed.loss_sum - alone.loss_sum), 1e-3 * std::abs(alone.loss_sum));
  EXPECT_NEAR(changed.loss_sum, changed_with_gradient.loss_sum,
              1e-6 * std::abs(changed_with_gradient.loss_sum));
}

}  // namespace
}  // namespace rnnkit
