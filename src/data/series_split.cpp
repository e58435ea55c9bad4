#include "rnnkit/series_split.h"

#include <cmath>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/formatted.h"

namespace rnnkit {
namespace {

void check_window(int64_t context, int64_t horizon) {
  if (context < 1) throw Error("context must be at least 1 step, got " + std::to_string(context));
  if (horizon < 1) throw Error("horizon must be at least 1 step, got " + std::to_string(horizon));
}

}  // namespace

SeriesSplit split_series(int64_t steps, int64_t valid_steps, int64_t test_steps, int64_t context,
                         int64_t horizon, ValidationUse validation) {
  check_window(context, horizon);
  if (valid_steps < 0 || test_steps < 0)
    throw Error("validation and test parts cannot be negative");
  const int64_t train = steps - valid_steps - test_steps;
  const std::string parts = "the series has " + counted(steps, "step", "steps") + "; after " +
                            std::to_string(valid_steps) + " validation and " +
                            std::to_string(test_steps) + " test steps";
  if (train < 0)
    throw Error(parts +
                " nothing is left to train on: the validation and test fractions take "
                "more than the whole series");
  if (train < context + horizon)
    throw Error(parts + " the training part has " + std::to_string(train) +
                ", shorter than context + horizon = " + std::to_string(context + horizon));
  const auto check_part = [&](int64_t n, const char* name) {
    if (n > 0 && n < horizon)
      throw Error(std::string("the ") + name + " part has " + counted(n, "step", "steps") +
                  ", fewer than the horizon " + std::to_string(horizon));
  };
  if (validation == ValidationUse::Forecast) check_part(valid_steps, "validation");
  check_part(test_steps, "test");
  return {train, train + valid_steps, steps};
}

int64_t steps_of_fraction(int64_t steps, double fraction) {
  if (!(fraction >= 0.0 && fraction < 1.0))
    throw Error("a part of the series must be a fraction in [0, 1), got " +
                std::to_string(fraction));
  return static_cast<int64_t>(std::llround(fraction * static_cast<double>(steps)));
}

std::vector<int64_t> rolling_origins(int64_t begin, int64_t end, int64_t context, int64_t horizon,
                                     int64_t every) {
  check_window(context, horizon);
  if (every < 1) throw Error("origins must be at least 1 step apart, got " + std::to_string(every));
  if (begin < context)
    throw Error("the first forecast origin " + std::to_string(begin) + " has fewer than " +
                std::to_string(context) + " context steps before it");
  std::vector<int64_t> origins;
  for (int64_t origin = begin; origin + horizon <= end; origin += every) origins.push_back(origin);
  return origins;
}

}  // namespace rnnkit
