// The dropout between layers (RNN, training): element i of the masked input is kept, scaled by
// 1 / (1 - p), exactly when the i-th uniform draw of the Rng is below 1 - p, in time-major order.
// Two ReLU layers with identity input weights and nothing else pass their input through, so the
// output is the mask times the input, checked against draws made here.
#include <gtest/gtest.h>

#include <vector>

#include "rnnkit/rng.h"
#include "rnnkit/rnn.h"

namespace rnnkit {
namespace {

TEST(DropoutMask, KeepsExactlyTheElementsWhoseDrawIsBelowTheKeepProbability) {
  const int64_t T = 7, B = 5, H = 33;
  for (const float p : {0.5f, 0.25f}) {
    RNN rnn({CellKind::RnnRelu, H, H, 2, false, p, 0});
    for (Parameter* param : rnn.parameters()) param->value.zero();
    for (int64_t layer = 0; layer < 2; ++layer)
      for (int64_t j = 0; j < H; ++j) rnn.layer(layer, 0).weight_ih.value[j * H + j] = 1.0f;
    // Positive inputs that are exact halves and quarters: passed through, scaled and kept exact.
    Tensor x({T, B, H});
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = static_cast<float>(1 + i % 13) * 0.25f;
    Tensor y;
    Rng rng(123);
    rnn.forward(x, nullptr, nullptr, y, nullptr, nullptr, true, &rng);

    Rng draws(123);
    const float keep = 1.0f - p;
    int64_t kept = 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const bool keeps = draws.uniform() < keep;
      kept += keeps;
      ASSERT_EQ(y[i], keeps ? x[i] * (1.0f / keep) : 0.0f) << "dropout " << p << ", element " << i;
    }
    EXPECT_EQ(rng.state(), draws.state()) << "one draw per element";
    // Both outcomes occur, so neither a mask of all zeros nor one of all ones passes.
    EXPECT_GT(kept, 0);
    EXPECT_LT(kept, x.numel());
  }
}

}  // namespace
}  // namespace rnnkit
