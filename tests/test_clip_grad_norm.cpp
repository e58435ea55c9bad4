#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// Gradients {3, 4} and {12}: total norm sqrt(9 + 16 + 144) = 13.
struct Grads {
  Parameter a{"a", {2}};
  Parameter b{"b", {1}};
  ParameterList list{&a, &b};

  Grads() {
    a.grad[0] = 3;
    a.grad[1] = 4;
    b.grad[0] = 12;
  }
};

TEST(GradNorm, IsTheNormOfAllGradientsTogether) {
  Grads g;
  EXPECT_EQ(grad_norm(g.list), 13.0f);
  EXPECT_EQ(grad_norm({}), 0.0f);
}

TEST(GradNorm, AccumulatesInDouble) {
  // A million squares of 1e-3 sum to 1; float accumulation drifts far more than 1e-6 here.
  Parameter p("p", {1'000'000});
  p.grad.fill(1e-3f);
  const double exact = std::sqrt(1e6 * static_cast<double>(1e-3f) * static_cast<double>(1e-3f));
  EXPECT_EQ(grad_norm({&p}), static_cast<float>(exact));
}

TEST(ClipGradNorm, ScalesByMaxNormOverNormPlusEpsilon) {
  Grads g;
  EXPECT_EQ(clip_grad_norm(g.list, 6.5f), 13.0f);
  const double coef = 6.5 / (13 + 1e-6);
  EXPECT_FLOAT_EQ(g.a.grad[0], 3 * coef);
  EXPECT_FLOAT_EQ(g.a.grad[1], 4 * coef);
  EXPECT_FLOAT_EQ(g.b.grad[0], 12 * coef);
  EXPECT_NEAR(grad_norm(g.list), 6.5f, 1e-5f);
}

TEST(ClipGradNorm, LeavesSmallGradientsUntouched) {
  Grads g;
  EXPECT_EQ(clip_grad_norm(g.list, 100.0f), 13.0f);
  EXPECT_EQ(g.a.grad[0], 3.0f);
  EXPECT_EQ(g.a.grad[1], 4.0f);
  EXPECT_EQ(g.b.grad[0], 12.0f);
}

TEST(ClipGradNorm, ClipsSlightlyWhenNormEqualsMaxNorm) {
  // As in PyTorch, the 1e-6 in the denominator makes the coefficient just below 1.
  Grads g;
  clip_grad_norm(g.list, 13.0f);
  EXPECT_LT(g.b.grad[0], 12.0f);
  EXPECT_FLOAT_EQ(g.b.grad[0], 12 * (13 / (13 + 1e-6)));
}

TEST(ClipGradNorm, ReturnsNonFiniteNormWithoutTouchingGradients) {
  for (float bad :
       {std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    Grads g;
    g.a.grad[1] = bad;
    const float norm = clip_grad_norm(g.list, 1.0f);
    EXPECT_FALSE(std::isfinite(norm));
    EXPECT_EQ(std::isnan(norm), std::isnan(bad));
    EXPECT_EQ(g.a.grad[0], 3.0f);
    EXPECT_EQ(g.b.grad[0], 12.0f);
  }
}

TEST(ClipGradNorm, RejectsInvalidMaxNorm) {
  Grads g;
  EXPECT_THROW(clip_grad_norm(g.list, -1.0f), Error);
  EXPECT_THROW(clip_grad_norm(g.list, std::numeric_limits<float>::quiet_NaN()), Error);
  EXPECT_THROW(clip_grad_norm(g.list, std::numeric_limits<float>::infinity()), Error);
  EXPECT_EQ(g.b.grad[0], 12.0f);
}

TEST(ClipCoefficient, IsTheFactorClipGradNormScalesBy) {
  // By hand: 6.5 / (13 + 1e-6) in float32, as PyTorch's reciprocal() * max_norm.
  EXPECT_EQ(clip_coefficient(13.0f, 6.5f), (1.0f / (13.0f + 1e-6f)) * 6.5f);
  EXPECT_NEAR(clip_coefficient(13.0f, 6.5f), 0.5, 1e-7);
  for (float max_norm : {0.0f, 1.0f, 6.5f, 12.9f, 13.0f}) {
    Grads g;
    const float coef = clip_coefficient(grad_norm(g.list), max_norm);
    EXPECT_LT(coef, 1.0f) << max_norm;
    clip_grad_norm(g.list, max_norm);
    EXPECT_EQ(g.a.grad[1], 4.0f * coef) << max_norm;
    EXPECT_EQ(g.b.grad[0], 12.0f * coef) << max_norm;
  }
}

TEST(ClipCoefficient, IsOneWhereClipGradNormLeavesTheGradients) {
  EXPECT_EQ(clip_coefficient(13.0f, 100.0f), 1.0f);
  EXPECT_EQ(clip_coefficient(0.0f, 1.0f), 1.0f);
  EXPECT_EQ(clip_coefficient(std::numeric_limits<float>::infinity(), 1.0f), 1.0f);
  EXPECT_EQ(clip_coefficient(std::numeric_limits<float>::quiet_NaN(), 1.0f), 1.0f);
  EXPECT_THROW(clip_coefficient(13.0f, -1.0f), Error);
  EXPECT_THROW(clip_coefficient(13.0f, std::numeric_limits<float>::infinity()), Error);
  EXPECT_THROW(clip_coefficient(13.0f, std::numeric_limits<float>::quiet_NaN()), Error);
}

TEST(ClipGradNorm, ZeroMaxNormZeroesGradients) {
  Grads g;
  EXPECT_EQ(clip_grad_norm(g.list, 0.0f), 13.0f);
  EXPECT_EQ(grad_norm(g.list), 0.0f);
}

}  // namespace
}  // namespace rnnkit
