#include "rnnkit/forecast_training.h"

namespace rnnkit {

const OptionTable<ForecastSeriesOptions>& ForecastSeriesOptions::table() {
  using O = ForecastSeriesOptions;
  static const OptionTable<O> t = {
      {"--data", "data", &O::data, "CSV file with a header, one row per time step"},
      {"--fill", "fill", &O::fill,
       "missing cells: none (an error) | previous | linear (reads the value after a gap: "
       "previous for scores that never look ahead)",
       one_of({"none", "previous", "linear"})},
  };
  return t;
}

const OptionTable<ForecastScoringOptions>& ForecastScoringOptions::table() {
  using O = ForecastScoringOptions;
  static const OptionTable<O> t = {
      {"--valid-fraction", "valid_fraction", &O::valid_fraction,
       "share of all steps, just before the test part, for validation", between(0, 0.99)},
      {"--test-fraction", "test_fraction", &O::test_fraction, "share of the last steps for testing",
       between(0, 0.99)},
      {"--season", "season", &O::season, "season length m (seasonal naive, MASE scale)",
       between(1, 1 << 20)},
      {"--origin-step", "origin_step", &O::origin_step, "steps between rolling forecast origins",
       between(1, 1 << 20)},
  };
  return t;
}

SeriesSplit ForecastScoringOptions::split(int64_t steps, int64_t context, int64_t horizon,
                                          ValidationUse validation) const {
  return split_series(steps, steps_of_fraction(steps, valid_fraction),
                      steps_of_fraction(steps, test_fraction), context, horizon, validation);
}

}  // namespace rnnkit
