#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rnnkit {

// The training losses of a forecaster, per forecast value with error e = target - prediction:
//   mse:      e^2
//   mae:      |e|
//   quantile: the mean over the quantiles q of the pinball loss max(q e_q, (q - 1) e_q), where
//             e_q = target - the prediction of quantile q (Koenker & Bassett 1978); its minimiser
//             is the q-quantile of the target's distribution.
enum class ForecastLossKind { Mse, Mae, Quantile };
ForecastLossKind parse_forecast_loss(std::string_view name);  // "mse", "mae", "quantile"
std::string forecast_loss_name(ForecastLossKind kind);

// predictions: n rows of Q values (Q = quantiles.size() for the quantile loss, else 1);
// targets: n values. Returns the sum of the n per-value losses. When grad is not null it receives
// grad_scale * d(sum)/d(predictions), [n, Q] (the subgradient 0 where |e| or e_q is exactly 0).
double forecast_loss(ForecastLossKind kind, std::span<const float> quantiles,
                     const float* predictions, const float* targets, int64_t n, float* grad,
                     float grad_scale);

}  // namespace rnnkit
