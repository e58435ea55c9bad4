#include "rnnkit/forecast_loss.h"

#include <gtest/gtest.h>

#include <vector>

#include "gradient_check.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

TEST(ForecastLoss, ValuesByHand) {
  const std::vector<float> p{1.0f, 4.0f}, t{3.0f, 3.5f};  // errors t - p: 2, -0.5
  EXPECT_DOUBLE_EQ(forecast_loss(ForecastLossKind::Mse, {}, p.data(), t.data(), 2, nullptr, 1),
                   4.25);
  EXPECT_DOUBLE_EQ(forecast_loss(ForecastLossKind::Mae, {}, p.data(), t.data(), 2, nullptr, 1),
                   2.5);
  // Quantiles 0.1 and 0.9, one target 3 and predictions 1 (e = 2) and 4 (e = -1):
  //   (0.1 * 2 + (0.9 - 1) * -1) / 2 = 0.15
  const std::vector<float> q{0.1f, 0.9f}, pq{1.0f, 4.0f}, tq{3.0f};
  EXPECT_NEAR(forecast_loss(ForecastLossKind::Quantile, q, pq.data(), tq.data(), 1, nullptr, 1),
              0.15, 1e-7);
  std::vector<float> grad(2);
  forecast_loss(ForecastLossKind::Quantile, q, pq.data(), tq.data(), 1, grad.data(), 1);
  EXPECT_NEAR(grad[0], -0.1 / 2, 1e-7);  // under-forecast: d/dp of q e is -q
  EXPECT_NEAR(grad[1], 0.1 / 2, 1e-7);   // over-forecast: d/dp of (q - 1) e is 1 - q
  EXPECT_THROW(forecast_loss(ForecastLossKind::Quantile, {}, pq.data(), tq.data(), 1, nullptr, 1),
               Error);
}

TEST(ForecastLoss, NamesRoundTrip) {
  for (auto k : {ForecastLossKind::Mse, ForecastLossKind::Mae, ForecastLossKind::Quantile})
    EXPECT_EQ(parse_forecast_loss(forecast_loss_name(k)), k);
  EXPECT_THROW(parse_forecast_loss("huber"), Error);
}

void check_loss_gradient(ForecastLossKind kind, std::vector<float> quantiles) {
  Rng rng(5);
  const int64_t n = 7, Q = kind == ForecastLossKind::Quantile ? quantiles.size() : 1;
  Tensor predictions = testing::random_tensor({n, Q}, rng, 2.0f);
  const Tensor targets = testing::random_tensor({n}, rng, 2.0f);
  Tensor grad({n, Q});
  forecast_loss(kind, quantiles, predictions.data(), targets.data(), n, grad.data(), 0.5f);
  testing::expect_gradients_match(
      [&] {
        return 0.5 *
               forecast_loss(kind, quantiles, predictions.data(), targets.data(), n, nullptr, 1);
      },
      {{"predictions", &predictions, &grad}}, 24, 1e-3);
}

TEST(ForecastLoss, GradientsMatchFiniteDifferences) {
  check_loss_gradient(ForecastLossKind::Mse, {});
  check_loss_gradient(ForecastLossKind::Mae, {});
  check_loss_gradient(ForecastLossKind::Quantile, {0.1f, 0.5f, 0.9f});
}

}  // namespace
}  // namespace rnnkit
