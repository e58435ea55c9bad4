#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "rnnkit/series_csv.h"

namespace rnnkit {

// Per-series standardisation z = (x - mean) / scale, with the mean and the (population) standard
// deviation of the training part only, so nothing about later steps leaks into training. A model
// file stores it as the "rnnkit.normalization" metadata, and forecasts are mapped back with it.
struct SeriesNormalization {
  std::vector<std::string> names;  // the series, in the model's input order
  std::vector<double> mean, scale;

  // Fits the named columns of `table` on rows [0, train_end). Error naming the column when one is
  // constant there (zero spread: it would divide by zero).
  static SeriesNormalization fit(const SeriesTable& table, const std::vector<std::string>& names,
                                 int64_t train_end);

  double normalize(int64_t series, double value) const {
    return (value - mean[series]) / scale[series];
  }
  double denormalize(int64_t series, double value) const {
    return value * scale[series] + mean[series];
  }
  // The model's input: normalize() as a float. Error naming the series and the place of the
  // value (`table`'s row `row`) when it is not finite as a float: a value that far from the
  // training data's range (1e300 against a series of tens) would make the forecasts NaN.
  float model_input(int64_t series, double value, const SeriesTable& table, int64_t row) const;
  // The forecast of `series` at `step` from the model's output: denormalize(), and an Error when
  // that is not finite (a model whose outputs overflow), never a NaN passed on as a forecast.
  double model_output(int64_t series, float value, int64_t step) const;

  std::string to_json() const;
  // Error for a malformed document, mismatched lengths or a scale that is not positive.
  static SeriesNormalization from_json(const std::string& json);
};

}  // namespace rnnkit
