// Finite-difference gradient checks for every layer and option: recurrent layers of each cell in
// both directions, stacks with dropout, embedding and one-hot input, tied output weights,
// ignore_index, and the initial/final state gradients; and the checker's own rules.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "gradient_check.h"
#include "rnnkit/bf16.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/embedding.h"
#include "rnnkit/language_model.h"
#include "rnnkit/linear.h"
#include "rnnkit/rnn.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

using testing::dot;
using testing::expect_gradients_match;
using testing::GradientCase;
using testing::random_tensor;

void clear_grads(const ParameterList& params) {
  for (Parameter* p : params) p->grad.zero();
}

// The checker itself: an entry whose estimate depends on the step size is skipped, and a tensor
// with too few checked entries fails. f(x) = sum relu(x - 0.75 eps) at x = 0 has a kink inside
// the step: the central difference is 1/8 with step eps and 0 with eps/2.
double kinked_sum(const Tensor& x, int64_t kinked) {
  double s = 0;
  for (int64_t i = 0; i < x.numel(); ++i) s += std::max(0.0, x[i] - (i < kinked ? 0.75e-2 : -1.0));
  return s;
}

TEST(GradientCheck, FailsWhenEveryEntryIsSkipped) {
  Tensor x({4}), grad({4});
  EXPECT_NONFATAL_FAILURE(
      expect_gradients_match([&] { return kinked_sum(x, 4); }, {{"x", &x, &grad}}),
      "only 0 of 4 entries could be checked");
}

TEST(GradientCheck, RequiresTheMinimumFractionOfCheckedEntries) {
  // Entries 0 and 1 sit on the kink; 2 and 3 are on the linear part (gradient 1).
  Tensor x({4}), grad({4});
  grad[2] = grad[3] = 1.0f;
  auto objective = [&] { return kinked_sum(x, 2); };
  EXPECT_NONFATAL_FAILURE(expect_gradients_match(objective, {{"x", &x, &grad}}),
                          "only 2 of 4 entries could be checked");
  expect_gradients_match(objective, {{"x", &x, &grad}}, 24, 1e-2, 2e-3, 2e-2, 0.5);
}

TEST(GradientCheck, FailsOnAWrongGradient) {
  Tensor x({3}), grad({3});
  grad[0] = grad[2] = 1.0f;
  grad[1] = 0.5f;  // the true gradient is 1 everywhere
  EXPECT_NONFATAL_FAILURE(
      expect_gradients_match([&] { return kinked_sum(x, 0); }, {{"x", &x, &grad}}), "x[1]");
}

struct StackCase {
  CellKind cell;
  int64_t layers;
  bool bidirectional;
  float dropout;
  int64_t proj_size = 0;
};

class RNNGradient : public ::testing::TestWithParam<StackCase> {};

TEST_P(RNNGradient, MatchesFiniteDifferences) {
  const StackCase sc = GetParam();
  const int64_t T = 4, B = 3, In = 5, H = 4;
  RNN rnn({sc.cell, In, H, sc.layers, sc.bidirectional, sc.dropout, sc.proj_size});
  Rng rng(7);
  rnn.reset_parameters(rng);
  const bool lstm = has_cell_state(sc.cell);
  const Shape state = rnn.state_shape(B), cell_state = rnn.cell_state_shape(B);
  Tensor x = random_tensor({T, B, In}, rng), h0 = random_tensor(state, rng, 0.5f);
  Tensor c0 = random_tensor(cell_state, rng, 0.5f);
  Tensor wy = random_tensor({T, B, rnn.output_size()}, rng), wh = random_tensor(state, rng);
  Tensor wc = random_tensor(cell_state, rng);

  // Objective sum(y*wy) + sum(hN*wh) + sum(cN*wc); the dropout masks are redrawn identically by
  // reseeding, so the objective is a fixed function of the inputs.
  Tensor y, hN, cN;
  auto objective = [&] {
    Rng dropout_rng(5);
    rnn.forward(x, &h0, lstm ? &c0 : nullptr, y, &hN, lstm ? &cN : nullptr, true, &dropout_rng);
    return dot(y, wy) + dot(hN, wh) + (lstm ? dot(cN, wc) : 0.0);
  };
  clear_grads(rnn.parameters());
  objective();
  Tensor dx, dh0, dc0;
  rnn.backward(wy, &wh, lstm ? &wc : nullptr, &dx, &dh0, lstm ? &dc0 : nullptr);

  std::vector<GradientCase> cases = {{"x", &x, &dx}, {"h0", &h0, &dh0}};
  if (lstm) cases.push_back({"c0", &c0, &dc0});
  for (Parameter* p : rnn.parameters()) cases.push_back({p->name, &p->value, &p->grad});
  // A bias step moves the pre-activations of all T*B positions, so relu needs a smaller step
  // to keep kinks out of the difference quotient.
  const double eps = sc.cell == CellKind::RnnRelu ? 1e-3 : 1e-2;
  expect_gradients_match(objective, cases, 12, eps);
}

INSTANTIATE_TEST_SUITE_P(
    Cells, RNNGradient,
    ::testing::Values(
        StackCase{CellKind::RnnTanh, 1, false, 0}, StackCase{CellKind::RnnRelu, 1, false, 0},
        StackCase{CellKind::Lstm, 1, false, 0}, StackCase{CellKind::Gru, 1, false, 0},
        StackCase{CellKind::RnnTanh, 2, true, 0}, StackCase{CellKind::RnnRelu, 2, true, 0},
        StackCase{CellKind::Lstm, 2, true, 0}, StackCase{CellKind::Gru, 2, true, 0},
        StackCase{CellKind::Lstm, 3, false, 0.3f}, StackCase{CellKind::Gru, 2, true, 0.5f},
        StackCase{CellKind::Lstm, 1, false, 0, 3}, StackCase{CellKind::Lstm, 1, true, 0, 2},
        StackCase{CellKind::Lstm, 2, true, 0, 3}, StackCase{CellKind::Lstm, 3, false, 0.3f, 2}),
    [](const auto& info) {
      const StackCase& c = info.param;
      return cell_kind_name(c.cell) + (c.proj_size ? "_proj" : "") + "_l" +
             std::to_string(c.layers) + (c.bidirectional ? "_bi" : "_uni") +
             (c.dropout > 0 ? "_dropout" : "");
    });

TEST(LinearGradient, MatchesFiniteDifferences) {
  Rng rng(3);
  Linear fc(5, 7);
  fc.reset_parameters(rng);
  Tensor x = random_tensor({4, 5}, rng), w = random_tensor({4, 7}, rng), y({4, 7}), dx({4, 5});
  auto objective = [&] {
    fc.forward(x.data(), 5, 4, y.data(), 7);
    return dot(y, w);
  };
  clear_grads(fc.parameters());
  objective();
  fc.backward(x.data(), 5, 4, w.data(), 7, dx.data(), 5);
  expect_gradients_match(objective, {{"x", &x, &dx},
                                     {"weight", &fc.weight().value, &fc.weight().grad},
                                     {"bias", &fc.bias.value, &fc.bias.grad}});
}

TEST(EmbeddingGradient, AccumulatesRepeatedIds) {
  Rng rng(4);
  Embedding emb(6, 3);
  emb.reset_parameters(rng);
  const std::vector<int32_t> ids = {1, 4, 1, 5};
  Tensor out({4, 3}), w = random_tensor({4, 3}, rng);
  auto objective = [&] {
    emb.forward(ids, out.data());
    return dot(out, w);
  };
  emb.weight.grad.zero();
  objective();
  emb.backward(ids, w.data());
  expect_gradients_match(objective, {{"weight", &emb.weight.value, &emb.weight.grad}}, 18);
  EXPECT_FLOAT_EQ(emb.weight.grad[0], 0.0f);  // id 0 unused: no gradient
}

TEST(CrossEntropyGradient, MatchesFiniteDifferencesWithIgnoredRows) {
  Rng rng(5);
  const int64_t N = 5, V = 6;
  Tensor logits = random_tensor({N, V}, rng, 2.0f), grad({N, V});
  const std::vector<int32_t> targets = {2, kIgnoreIndex, 0, 5, kIgnoreIndex};
  auto objective = [&] {
    return softmax_cross_entropy(logits.data(), N, V, V, targets.data(), kIgnoreIndex, nullptr, 0)
               .loss_sum /
           3.0;
  };
  CrossEntropySum ce = softmax_cross_entropy(logits.data(), N, V, V, targets.data(), kIgnoreIndex,
                                             grad.data(), 1.0f / 3);
  EXPECT_EQ(ce.count, 3);
  expect_gradients_match(objective, {{"logits", &logits, &grad}}, 30);
  for (int64_t v = 0; v < V; ++v) EXPECT_EQ(grad[1 * V + v], 0.0f);
}

// The fused bias gives the losses, gradients and biased logits of adding the bias first, bit for
// bit, on every CPU path (ignored rows get the bias too); and without a gradient as well. The
// gradient's bf16 copy, when asked for, is to_bf16 of each element (ignored rows' zeros too,
// over whatever the buffer held), its column sums are added to the vector given (against sums in
// double), and asking for them leaves the rest unchanged.
TEST(CrossEntropy, BiasAddedInThePassEqualsBiasAddedFirst) {
  const int64_t N = 6, V = 37;
  Rng rng(5);
  const Tensor raw = random_tensor({N, V}, rng, 2.0f), bias = random_tensor({V}, rng, 3.0f);
  const std::vector<int32_t> targets = {2, kIgnoreIndex, 36, 5, 0, kIgnoreIndex};
  SettingsGuard guard;
  for (CpuPath path : {CpuPath::Baseline, CpuPath::Avx2, CpuPath::Avx512}) {
    if (!cpu_supports_path(path)) continue;
    SCOPED_TRACE(cpu_path_name(path));
    set_cpu_path(path);
    Tensor biased = raw, want_grad({N, V});
    for (int64_t i = 0; i < N; ++i)
      for (int64_t v = 0; v < V; ++v) biased[i * V + v] += bias[v];
    const CrossEntropySum want = softmax_cross_entropy(biased.data(), N, V, V, targets.data(),
                                                       kIgnoreIndex, want_grad.data(), 0.25f);
    Tensor fused = raw, fused_no_grad = raw;
    const CrossEntropySum got = softmax_cross_entropy_with_bias(
        fused.data(), bias.data(), N, V, V, targets.data(), kIgnoreIndex, fused.data(), 0.25f);
    const CrossEntropySum got_loss = softmax_cross_entropy_with_bias(
        fused_no_grad.data(), bias.data(), N, V, V, targets.data(), kIgnoreIndex, nullptr, 0.0f);
    Tensor fused_rounding = raw;
    std::vector<bf16> rounded(static_cast<size_t>(N * V), bf16{0x7fc1});
    std::vector<float> column_sums(V, 1.0f);  // added to, as a gradient accumulates
    const CrossEntropySum got_rounding = softmax_cross_entropy_with_bias(
        fused_rounding.data(), bias.data(), N, V, V, targets.data(), kIgnoreIndex,
        fused_rounding.data(), 0.25f, rounded.data(), column_sums.data());
    EXPECT_EQ(got.count, 4);
    EXPECT_EQ(got.loss_sum, want.loss_sum);
    EXPECT_EQ(got_loss.loss_sum, want.loss_sum);
    EXPECT_EQ(got_rounding.loss_sum, want.loss_sum);
    for (int64_t i = 0; i < N * V; ++i) {
      ASSERT_EQ(fused[i], want_grad[i]) << "gradient " << i;
      ASSERT_EQ(fused_no_grad[i], biased[i]) << "biased logit " << i;
      ASSERT_EQ(fused_rounding[i], want_grad[i]) << "gradient beside its bf16 copy " << i;
      ASSERT_EQ(rounded[static_cast<size_t>(i)], to_bf16(want_grad[i])) << "bf16 gradient " << i;
    }
    for (int64_t v = 0; v < V; ++v) {
      double want_sum = 1.0;
      for (int64_t i = 0; i < N; ++i) want_sum += want_grad[i * V + v];
      EXPECT_NEAR(column_sums[static_cast<size_t>(v)], want_sum, 1e-6) << "column " << v;
    }
  }
}

// The gradient's column sums, over many blocks of rows, are the same bits on one thread and two.
TEST(CrossEntropy, GradientColumnSumsDoNotDependOnTheThreadCount) {
  const int64_t N = 1000, V = 37;
  Rng rng(11);
  const Tensor raw = random_tensor({N, V}, rng, 2.0f), bias = random_tensor({V}, rng, 1.0f);
  std::vector<int32_t> targets(N);
  for (int64_t i = 0; i < N; ++i) targets[i] = i % 7 == 3 ? kIgnoreIndex : int32_t(i * 5 % V);
  SettingsGuard guard;
  std::vector<std::vector<float>> sums;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    Tensor logits = raw;
    std::vector<bf16> rounded(static_cast<size_t>(N * V));
    sums.emplace_back(V, 0.0f);
    softmax_cross_entropy_with_bias(logits.data(), bias.data(), N, V, V, targets.data(),
                                    kIgnoreIndex, logits.data(), 1.0f / N, rounded.data(),
                                    sums.back().data());
    double largest_error = 0;
    for (int64_t v = 0; v < V; ++v) {
      double want = 0;
      for (int64_t i = 0; i < N; ++i) want += logits[i * V + v];
      largest_error = std::max(largest_error, std::abs(sums.back()[size_t(v)] - want));
    }
    EXPECT_LT(largest_error, 1e-6) << threads << " threads";
  }
  EXPECT_EQ(sums[0], sums[1]);
}

struct LMCase {
  CellKind cell;
  int64_t embedding_dim;
  bool bidirectional;
  bool tie;
  int64_t proj_size = 0;
};

class LMGradient : public ::testing::TestWithParam<LMCase> {};

TEST_P(LMGradient, MatchesFiniteDifferences) {
  const LMCase lc = GetParam();
  const int64_t T = 4, B = 2, V = 7, H = 4;
  LMConfig config{lc.cell, V, lc.embedding_dim, H, 2, lc.bidirectional, 0.0f, lc.tie, lc.proj_size};
  LanguageModel model(config);
  Rng rng(11);
  model.reset_parameters(rng);
  TokenBatch batch{T, B, {}, {}};
  for (int64_t i = 0; i < T * B; ++i) {
    batch.inputs.push_back(static_cast<int32_t>(rng.below(V)));
    batch.targets.push_back(i % 3 == 1 ? kIgnoreIndex : static_cast<int32_t>(rng.below(V)));
  }
  const Shape state = model.rnn().state_shape(B), cell_state = model.rnn().cell_state_shape(B);
  Tensor h0 = random_tensor(state, rng, 0.5f), c0 = random_tensor(cell_state, rng, 0.5f);
  Tensor wh = random_tensor(state, rng), wc = random_tensor(cell_state, rng);
  const bool lstm = has_cell_state(lc.cell);
  auto objective = [&] {
    LMState s{h0, lstm ? c0 : Tensor()};
    double loss = model.forward_backward(batch, s, false, false, nullptr).mean();
    return loss + dot(s.h, wh) + (lstm ? dot(s.c, wc) : 0.0);
  };
  clear_grads(model.parameters());
  Tensor dh0, dc0;
  LMState s{h0, lstm ? c0 : Tensor()};
  model.forward_backward(batch, s, false, true, nullptr,
                         {&wh, lstm ? &wc : nullptr, &dh0, lstm ? &dc0 : nullptr});
  std::vector<GradientCase> cases = {{"h0", &h0, &dh0}};
  if (lstm) cases.push_back({"c0", &c0, &dc0});
  for (Parameter* p : model.parameters()) cases.push_back({p->name, &p->value, &p->grad});
  expect_gradients_match(objective, cases, 10);
}

INSTANTIATE_TEST_SUITE_P(Options, LMGradient,
                         ::testing::Values(LMCase{CellKind::Lstm, 5, false, false},
                                           LMCase{CellKind::Gru, 0, false, false},
                                           LMCase{CellKind::RnnTanh, 0, true, false},
                                           LMCase{CellKind::Lstm, 4, false, true},
                                           LMCase{CellKind::Gru, 8, true, true},
                                           LMCase{CellKind::Lstm, 0, false, false, 3},
                                           LMCase{CellKind::Lstm, 4, true, true, 2}),
                         [](const auto& info) {
                           const LMCase& c = info.param;
                           return cell_kind_name(c.cell) + (c.proj_size ? "_proj" : "") +
                                  (c.embedding_dim ? "_embedding" : "_onehot") +
                                  (c.bidirectional ? "_bi" : "_uni") + (c.tie ? "_tied" : "");
                         });

}  // namespace
}  // namespace rnnkit
