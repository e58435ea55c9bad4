#include "rnnkit/series_normalization.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "rnnkit/error.h"
#include "rnnkit/formatted.h"

namespace rnnkit {

SeriesNormalization SeriesNormalization::fit(const SeriesTable& table,
                                             const std::vector<std::string>& names,
                                             int64_t train_end) {
  if (train_end < 1 || train_end > table.steps())
    throw Error("normalisation: training part of " + std::to_string(train_end) +
                " steps in a series of " + std::to_string(table.steps()));
  SeriesNormalization n;
  for (const std::string& name : names) {
    const std::vector<double>& column = table.columns[table.index_of(name)];
    double sum = 0;
    for (int64_t t = 0; t < train_end; ++t) sum += column[t];
    const double mean = sum / static_cast<double>(train_end);
    double squares = 0;
    for (int64_t t = 0; t < train_end; ++t) squares += (column[t] - mean) * (column[t] - mean);
    double scale = std::sqrt(squares / static_cast<double>(train_end));
    // Deviations below about 1e-154 square to subnormals or 0 (a series of 1e-300 farads): then
    // they are summed again in units of the largest one.
    if (scale < 1e-150) {
      double largest = 0;
      for (int64_t t = 0; t < train_end; ++t)
        largest = std::max(largest, std::abs(column[t] - mean));
      if (largest > 0) {
        double units = 0;
        for (int64_t t = 0; t < train_end; ++t)
          units += ((column[t] - mean) / largest) * ((column[t] - mean) / largest);
        scale = largest * std::sqrt(units / static_cast<double>(train_end));
      }
    }
    // Values near the double range overflow the sums: no model file could store the result.
    if (!std::isfinite(mean) || !std::isfinite(scale))
      throw Error("series \"" + name +
                  "\" is too large to normalise: its mean or spread over the " + "training part (" +
                  std::to_string(train_end) + " steps) overflows a double; rescale its values");
    // A spread within the sums' rounding of the mean is none; a series of small values (1e-12
    // farads) has its own scale, so the test is relative, and a subnormal spread would overflow
    // the normalised values.
    const std::string part = " over the training part (" + std::to_string(train_end) + " steps";
    if (std::all_of(column.begin(), column.begin() + train_end,
                    [&](double v) { return v == column[0]; }))
      throw Error("series \"" + name + "\" is constant" + part + ", all " +
                  formatted("%.15g", column[0]) + "): zero spread, it cannot be normalised");
    if (!(scale > 1e-12 * std::abs(mean)) || scale < std::numeric_limits<double>::min())
      throw Error("series \"" + name + "\" varies too little" + part +
                  ") to be normalised: " + "its spread " + formatted("%.3g", scale) + " is below " +
                  (scale < std::numeric_limits<double>::min()
                       ? std::string("the smallest normal double; rescale its values")
                       : "1e-12 of its mean " + formatted("%.15g", mean) +
                             ", lost in the sums' rounding; subtract an offset from its values"));
    n.names.push_back(name);
    n.mean.push_back(mean);
    n.scale.push_back(scale);
  }
  return n;
}

float SeriesNormalization::model_input(int64_t series, double value, const SeriesTable& table,
                                       int64_t row) const {
  const auto z = static_cast<float>(normalize(series, value));
  if (!std::isfinite(z))
    throw Error(table.place(row) + ", \"" + names[series] + "\": the value " +
                formatted("%.9g", value) + " is too far from the training data's mean " +
                formatted("%.9g", mean[series]) + " (spread " + formatted("%.9g", scale[series]) +
                ") for the model to read");
  return z;
}

double SeriesNormalization::model_output(int64_t series, float value, int64_t step) const {
  const double x = denormalize(series, value);
  if (!std::isfinite(x))
    throw Error("the forecast of \"" + names[series] + "\" at step " + std::to_string(step) +
                " is not finite: the model's output (" + formatted("%.9g", value) + ") overflows");
  return x;
}

std::string SeriesNormalization::to_json() const {
  return nlohmann::json{{"names", names}, {"mean", mean}, {"scale", scale}}.dump();
}

SeriesNormalization SeriesNormalization::from_json(const std::string& json) {
  const nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  const auto array = [&](const char* key) -> const nlohmann::json& {
    if (j.is_discarded() || !j.is_object() || !j.contains(key) || !j[key].is_array())
      throw Error(std::string("normalization: \"") + key + "\" must be an array");
    return j[key];
  };
  SeriesNormalization n;
  for (const auto& name : array("names")) {
    if (!name.is_string()) throw Error("normalization: \"names\" must hold strings");
    n.names.push_back(name.get<std::string>());
  }
  const auto numbers = [&](const char* key) {
    std::vector<double> values;
    for (const auto& v : array(key)) {
      if (!v.is_number())
        throw Error(std::string("normalization: \"") + key + "\" must hold numbers");
      values.push_back(v.get<double>());
    }
    if (values.size() != n.names.size())
      throw Error(std::string("normalization: ") + std::to_string(values.size()) + " " + key +
                  " values for " + std::to_string(n.names.size()) + " series");
    return values;
  };
  n.mean = numbers("mean");
  n.scale = numbers("scale");
  for (size_t i = 0; i < n.scale.size(); ++i)
    if (!(n.scale[i] > 0) || !std::isfinite(n.scale[i]) || !std::isfinite(n.mean[i]))
      throw Error("normalization: series \"" + n.names[i] + "\" has an invalid mean or scale");
  return n;
}

}  // namespace rnnkit
