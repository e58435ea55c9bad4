// ForecastLevel::Last: each window measured from its last context value (forecaster.h).
#include "rnnkit/error.h"
#include "rnnkit/forecaster.h"

namespace rnnkit {

ForecastLevel parse_forecast_level(std::string_view name) {
  if (name == "none") return ForecastLevel::None;
  if (name == "last") return ForecastLevel::Last;
  throw Error("unknown forecast level \"" + std::string(name) + "\" (none or last)");
}

std::string forecast_level_name(ForecastLevel level) {
  return level == ForecastLevel::Last ? "last" : "none";
}

// level_ [B, K] = context[L-1, b, k]; relative_ = batch with level_ subtracted from the context's
// target columns [L, B, :K] and (with_targets) from the targets [H, B, K]; covariates as they are.
const ForecastBatch& Forecaster::relative_to_level(const ForecastBatch& batch, bool with_targets) {
  if (config_.level == ForecastLevel::None) return batch;
  const int64_t B = batch.batch(), K = config_.num_targets, W = config_.input_size();
  const int64_t L = config_.context, H = config_.horizon;
  level_.resize({B, K});
  for (int64_t b = 0; b < B; ++b)
    for (int64_t k = 0; k < K; ++k)
      level_.data()[b * K + k] = batch.context.data()[((L - 1) * B + b) * W + k];
  relative_.context = batch.context;
  relative_.future_covariates = batch.future_covariates;
  relative_.origins = batch.origins;
  for (int64_t t = 0; t < L; ++t)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k)
        relative_.context.data()[(t * B + b) * W + k] -= level_.data()[b * K + k];
  if (with_targets) {
    relative_.targets = batch.targets;
    for (int64_t j = 0; j < H; ++j)
      for (int64_t b = 0; b < B; ++b)
        for (int64_t k = 0; k < K; ++k)
          relative_.targets.data()[(j * B + b) * K + k] -= level_.data()[b * K + k];
  }
  return relative_;
}

// outputs [H, B, K, Q] += level_ [B, K] (every quantile of a target moves with its level).
void Forecaster::add_level(Tensor& outputs) const {
  if (config_.level == ForecastLevel::None) return;
  const int64_t H = outputs.dim(0), B = outputs.dim(1), K = outputs.dim(2), Q = outputs.dim(3);
  for (int64_t j = 0; j < H; ++j)
    for (int64_t b = 0; b < B; ++b)
      for (int64_t k = 0; k < K; ++k)
        for (int64_t q = 0; q < Q; ++q)
          outputs.data()[((j * B + b) * K + k) * Q + q] += level_.data()[b * K + k];
}

}  // namespace rnnkit
