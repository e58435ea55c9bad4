// The backward of a wide linear layer by shares of its outputs (src/tensor/linear_backward.h):
// dW and dX against float64 sums, the bias gradient bit for bit against the column sums in row
// order, on one, two and three threads (shares of outputs that are not whole blocks), with
// strided operands; and the output layer of a language model that takes it, against finite
// differences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "gradient_check.h"
#include "random_values.h"
#include "rnnkit/error.h"
#include "rnnkit/language_model.h"
#include "rnnkit/parameter.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"
#include "tensor/linear_backward.h"

namespace rnnkit {
namespace {

TEST(LinearBackwardByOutputs, MatchesTheProductsAndSumsOnAnyThreadCount) {
  SettingsGuard guard;
  // 1,100 outputs: 68.75 cache lines of 16, so the threads' shares end inside a block of 128.
  const int64_t m = 37, V = 1100, F = 40, ldy = V + 5, ldx = F + 3, lddx = F + 2;
  const std::vector<float> dY = testing::random_values(m * ldy, 1);
  const std::vector<float> X = testing::random_values(m * ldx, 2);
  const std::vector<float> W = testing::random_values(V * F, 3);
  const std::vector<float> dW0 = testing::random_values(V * F, 4);
  const std::vector<float> db0 = testing::random_values(V, 5);
  const std::vector<float> dX0 = testing::random_values(m * lddx, 6);
  std::vector<double> want_dW(V * F), want_dX(m * F);
  std::vector<float> want_db = db0;
  for (int64_t v = 0; v < V; ++v)
    for (int64_t f = 0; f < F; ++f) {
      double sum = dW0[v * F + f];
      for (int64_t r = 0; r < m; ++r) sum += double(dY[r * ldy + v]) * X[r * ldx + f];
      want_dW[v * F + f] = sum;
    }
  for (int64_t r = 0; r < m; ++r)
    for (int64_t v = 0; v < V; ++v) want_db[v] += dY[r * ldy + v];  // one row at a time
  for (int64_t r = 0; r < m; ++r)
    for (int64_t f = 0; f < F; ++f) {
      double sum = 0;
      for (int64_t v = 0; v < V; ++v) sum += double(dY[r * ldy + v]) * W[v * F + f];
      want_dX[r * F + f] = sum;
    }
  for (int threads : {1, 2, 3}) {
    SCOPED_TRACE(std::to_string(threads) + " threads");
    set_num_threads(threads);
    std::vector<float> dW = dW0, db = db0, dX = dX0;
    linear_backward_by_outputs(m, V, F, dY.data(), ldy, X.data(), ldx, W.data(), dW.data(),
                               db.data(), dX.data(), lddx);
    for (int64_t i = 0; i < V * F; ++i) ASSERT_NEAR(dW[i], want_dW[i], 1e-4) << "dW " << i;
    ASSERT_EQ(std::memcmp(db.data(), want_db.data(), V * sizeof(float)), 0);
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t f = 0; f < F; ++f)
        ASSERT_NEAR(dX[r * lddx + f], want_dX[r * F + f], 1e-3) << "dX " << r << "," << f;
      for (int64_t f = F; f < lddx; ++f)
        ASSERT_EQ(dX[r * lddx + f], dX0[r * lddx + f]) << "beyond a row's F, dX is left alone";
    }
  }
}

// A product that fails inside the threads (here a leading dimension below the block's width)
// is an Error after them, not a crash in the parallel region.
TEST(LinearBackwardByOutputs, AFailedProductIsAnErrorAfterTheThreads) {
  SettingsGuard guard;
  set_num_threads(2);
  const int64_t m = 8, V = 1100, F = 16;
  std::vector<float> dY(m * V), X(m * F), W(V * F), dW(V * F), db(V), dX(m * F);
  EXPECT_THROW(linear_backward_by_outputs(m, V, F, dY.data(), 1, X.data(), F, W.data(), dW.data(),
                                          db.data(), dX.data(), F),
               Error);
}

TEST(LinearBackwardByOutputs, SuitsOnlyLayersWithSeveralBlocksAThreadAndFewFeatures) {
  EXPECT_FALSE(linear_backward_by_outputs_suits(28, 256, 2));    // the d2l models' vocabulary
  EXPECT_FALSE(linear_backward_by_outputs_suits(1000, 256, 2));  // under four blocks a thread
  EXPECT_TRUE(linear_backward_by_outputs_suits(1000, 256, 1));
  EXPECT_TRUE(linear_backward_by_outputs_suits(8293, 256, 2));  // the poetry model
  // PTB-medium: a block's traffic over the dX share (700 x 650) exceeds the dY reads it saves.
  EXPECT_FALSE(linear_backward_by_outputs_suits(10000, 650, 2));
  EXPECT_FALSE(linear_backward_by_outputs_suits(8293, 257, 2));
}

// A vocabulary wide enough for the output layer to take it on two threads (and on three, whose
// shares are not whole blocks); the logits' gradient comes from the softmax, so every part of
// the layer's backward is checked, with tied and separate weights.
TEST(LinearBackwardByOutputs, LanguageModelGradientsMatchFiniteDifferences) {
  SettingsGuard guard;
  for (bool tie : {false, true})
    for (int threads : {2, 3}) {
      SCOPED_TRACE(std::string(tie ? "tied" : "separate") + ", " + std::to_string(threads) +
                   " threads");
      set_num_threads(threads);
      const int64_t T = 3, B = 2, V = 1700, H = 4;
      ASSERT_TRUE(linear_backward_by_outputs_suits(V, H, threads));
      LMConfig config{CellKind::Lstm, V, 4, H, 1, false, 0.0f, tie, 0};
      LanguageModel model(config);
      Rng rng(5);
      model.reset_parameters(rng);
      TokenBatch batch{T, B, {}, {}};
      for (int64_t i = 0; i < T * B; ++i) {
        batch.inputs.push_back(static_cast<int32_t>(rng.below(V)));
        batch.targets.push_back(static_cast<int32_t>(rng.below(V)));
      }
      auto objective = [&] {
        LMState s;
        return model.forward_backward(batch, s, false, false, nullptr).mean();
      };
      zero_grad(model.parameters());
      LMState s;
      model.forward_backward(batch, s, false, true, nullptr);
      std::vector<testing::GradientCase> cases;
      for (Parameter* p : model.parameters()) cases.push_back({p->name, &p->value, &p->grad});
      testing::expect_gradients_match(objective, cases, 12);
    }
}

}  // namespace
}  // namespace rnnkit
