#include "rnnkit/forecast_loss.h"

#include <cmath>

#include "rnnkit/error.h"

namespace rnnkit {

ForecastLossKind parse_forecast_loss(std::string_view name) {
  if (name == "mse") return ForecastLossKind::Mse;
  if (name == "mae") return ForecastLossKind::Mae;
  if (name == "quantile") return ForecastLossKind::Quantile;
  throw Error("unknown forecast loss \"" + std::string(name) + "\" (mse, mae or quantile)");
}

std::string forecast_loss_name(ForecastLossKind kind) {
  switch (kind) {
    case ForecastLossKind::Mse:
      return "mse";
    case ForecastLossKind::Mae:
      return "mae";
    case ForecastLossKind::Quantile:
      return "quantile";
  }
  return "?";
}

double forecast_loss(ForecastLossKind kind, std::span<const float> quantiles,
                     const float* predictions, const float* targets, int64_t n, float* grad,
                     float grad_scale) {
  if (kind == ForecastLossKind::Quantile && quantiles.empty())
    throw Error("the quantile loss needs at least one quantile");
  double sum = 0;
  if (kind != ForecastLossKind::Quantile) {
    for (int64_t i = 0; i < n; ++i) {
      const double e = static_cast<double>(targets[i]) - predictions[i];
      const bool squared = kind == ForecastLossKind::Mse;
      sum += squared ? e * e : std::abs(e);
      if (grad) {
        const double slope = squared ? -2 * e : (e > 0 ? -1.0 : e < 0 ? 1.0 : 0.0);
        grad[i] = static_cast<float>(slope) * grad_scale;
      }
    }
    return sum;
  }
  const auto Q = static_cast<int64_t>(quantiles.size());
  const double per_quantile = 1.0 / static_cast<double>(Q);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < Q; ++k) {
      const double q = quantiles[k];
      const double e = static_cast<double>(targets[i]) - predictions[i * Q + k];
      sum += per_quantile * (e >= 0 ? q * e : (q - 1) * e);
      if (grad) {
        const double slope = e > 0 ? -q : e < 0 ? 1 - q : 0.0;
        grad[i * Q + k] = static_cast<float>(slope * per_quantile) * grad_scale;
      }
    }
  return sum;
}

}  // namespace rnnkit
