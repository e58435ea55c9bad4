#pragma once
#include <cstdint>
#include <vector>

namespace rnnkit {

// A chronological split of `steps` time steps: training [0, train_end), validation
// [train_end, valid_end), test [valid_end, steps). Validation and test are the last parts, in
// that order; no step moves across a boundary.
struct SeriesSplit {
  int64_t train_end = 0, valid_end = 0, steps = 0;
  int64_t train_steps() const { return train_end; }
  int64_t valid_steps() const { return valid_end - train_end; }
  int64_t test_steps() const { return steps - valid_end; }
};

// What the validation part is for: forecasts of its own (training), or only the end of the part
// the MASE scale is measured on (scoring the test part, as `forecast eval` does).
enum class ValidationUse { Forecast, Boundary };

// Error when the training part is shorter than context + horizon (no window fits), or when a
// non-empty test part, or validation part forecast, is shorter than the horizon. Every window of
// a later part reads its context from the steps before it, which the model may have seen.
SeriesSplit split_series(int64_t steps, int64_t valid_steps, int64_t test_steps, int64_t context,
                         int64_t horizon, ValidationUse validation = ValidationUse::Forecast);

// round(fraction * steps); Error for a fraction outside [0, 1).
int64_t steps_of_fraction(int64_t steps, double fraction);

// The forecast origins (index of the first forecast step) begin, begin + every, ... whose horizon
// ends by `end`. Each origin needs `context` steps before it: Error when begin < context.
std::vector<int64_t> rolling_origins(int64_t begin, int64_t end, int64_t context, int64_t horizon,
                                     int64_t every);

}  // namespace rnnkit
