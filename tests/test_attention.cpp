#include "rnnkit/attention.h"

#include <gtest/gtest.h>

#include <cmath>

#include "gradient_check.h"
#include "rnnkit/error.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {
namespace {

using testing::expect_gradients_match;
using testing::random_tensor;

TEST(DotProductAttention, MatchesHandComputation) {
  // One query q = (1, 0) over keys k0 = (0, 0), k1 = (ln 3, 1): scores 0 and ln 3, so the
  // weights are 1/4 and 3/4 and the context is 3/4 k1.
  const float ln3 = std::log(3.0f);
  Tensor queries = Tensor::from({1, 1, 2}, std::vector<float>{1, 0});
  Tensor keys = Tensor::from({2, 1, 2}, std::vector<float>{0, 0, ln3, 1});
  DotProductAttention attention;
  Tensor context;
  attention.forward(queries, keys, context);
  ASSERT_EQ(attention.weights().shape(), (Shape{1, 1, 2}));
  EXPECT_NEAR(attention.weights()[0], 0.25f, 1e-6);
  EXPECT_NEAR(attention.weights()[1], 0.75f, 1e-6);
  ASSERT_EQ(context.shape(), (Shape{1, 1, 2}));
  EXPECT_NEAR(context[0], 0.75f * ln3, 1e-6);
  EXPECT_NEAR(context[1], 0.75f, 1e-6);

  // d context / d q for dcontext = (0, 1): d(sum_s a_s k_s[1]) / dq = sum_s a_s (k_s[1] - 3/4) k_s
  // = 1/4 * (-3/4) * k0 + 3/4 * (1/4) * k1 = (3/16) k1.
  Tensor dcontext = Tensor::from({1, 1, 2}, std::vector<float>{0, 1});
  Tensor dqueries, dkeys({2, 1, 2});
  attention.backward(dcontext, dqueries, dkeys);
  EXPECT_NEAR(dqueries[0], 3.0f / 16 * ln3, 1e-6);
  EXPECT_NEAR(dqueries[1], 3.0f / 16, 1e-6);
}

TEST(DotProductAttention, KeepsBatchColumnsApart) {
  // Column 1 of the batch has identical keys, so its weights are uniform whatever column 0 holds.
  Rng rng(3);
  Tensor queries = random_tensor({2, 2, 3}, rng), keys = random_tensor({3, 2, 3}, rng);
  for (int64_t s = 0; s < 3; ++s)
    for (int64_t h = 0; h < 3; ++h) keys[(s * 2 + 1) * 3 + h] = 0.5f + h;
  DotProductAttention attention;
  Tensor context;
  attention.forward(queries, keys, context);
  for (int64_t t = 0; t < 2; ++t)
    for (int64_t s = 0; s < 3; ++s)
      EXPECT_NEAR(attention.weights()[(t * 2 + 1) * 3 + s], 1.0 / 3, 1e-6);
}

TEST(DotProductAttention, GradientsMatchFiniteDifferences) {
  Rng rng(11);
  Tensor queries = random_tensor({3, 2, 4}, rng), keys = random_tensor({5, 2, 4}, rng);
  const Tensor weight = random_tensor({3, 2, 4}, rng);
  DotProductAttention attention;
  Tensor context, dqueries, dkeys({5, 2, 4});
  attention.forward(queries, keys, context);
  attention.backward(weight, dqueries, dkeys);
  auto objective = [&] {
    DotProductAttention a;
    Tensor c;
    a.forward(queries, keys, c);
    return testing::dot(c, weight);
  };
  expect_gradients_match(objective, {{"queries", &queries, &dqueries}, {"keys", &keys, &dkeys}});
}

TEST(DotProductAttention, AccumulatesIntoKeyGradients) {
  Rng rng(5);
  Tensor queries = random_tensor({2, 1, 3}, rng), keys = random_tensor({2, 1, 3}, rng);
  const Tensor dcontext = random_tensor({2, 1, 3}, rng);
  DotProductAttention attention;
  Tensor context, dqueries, fresh({2, 1, 3}), accumulated({2, 1, 3});
  accumulated.fill(1.0f);
  attention.forward(queries, keys, context);
  attention.backward(dcontext, dqueries, fresh);
  attention.forward(queries, keys, context);
  attention.backward(dcontext, dqueries, accumulated);
  for (int64_t i = 0; i < fresh.numel(); ++i) EXPECT_FLOAT_EQ(accumulated[i], fresh[i] + 1.0f);
}

TEST(DotProductAttention, MatchesPyTorch) {
  SafetensorsFile f = read_safetensors(RNNKIT_FIXTURE_DIR "/seq2seq_attention_layer.safetensors");
  const Tensor& queries = f.tensors.at("input.queries");
  const Tensor& keys = f.tensors.at("input.keys");
  DotProductAttention attention;
  Tensor context, dqueries, dkeys(keys.shape());
  attention.forward(queries, keys, context);
  attention.backward(f.tensors.at("input.dcontext"), dqueries, dkeys);
  auto expect_near = [](const Tensor& got, const Tensor& want, const char* what) {
    ASSERT_EQ(got.shape(), want.shape()) << what;
    for (int64_t i = 0; i < got.numel(); ++i) EXPECT_NEAR(got[i], want[i], 1e-5) << what << i;
  };
  expect_near(context, f.tensors.at("output.context"), "context");
  expect_near(attention.weights(), f.tensors.at("output.weights"), "weights");
  expect_near(dqueries, f.tensors.at("grad.queries"), "grad.queries");
  expect_near(dkeys, f.tensors.at("grad.keys"), "grad.keys");
}

TEST(DotProductAttention, RejectsMismatchedShapes) {
  DotProductAttention attention;
  Tensor context;
  EXPECT_THROW(attention.forward(Tensor({2, 3, 4}), Tensor({5, 2, 4}), context), Error);
  EXPECT_THROW(attention.forward(Tensor({2, 3, 4}), Tensor({5, 3, 3}), context), Error);
  Tensor dq, dk;
  EXPECT_THROW(attention.backward(Tensor({1, 1, 1}), dq, dk), Error);
}

}  // namespace
}  // namespace rnnkit
