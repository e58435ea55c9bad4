#include <httplib.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "rnnkit/gemm.h"
#include "serve/endpoints.h"
#include "serve/http_error.h"
#include "serve/json_fields.h"

namespace rnnkit::serve {
namespace {

using json = nlohmann::json;

HttpError field_error(const std::string& field, const std::string& problem) {
  return HttpError(400, "field \"" + field + "\" " + problem, field);
}

std::string list(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// One series of a request: numbers that stay finite floats once normalised as the model's
// training part was (a value such as 1e300 would otherwise reach the model as infinity).
std::vector<double> read_series(const json& array, const std::string& field,
                                const SeriesNormalization& normalization, int64_t index) {
  if (!array.is_array()) throw field_error(field, "must be an array of numbers");
  std::vector<double> values;
  for (size_t i = 0; i < array.size(); ++i) {
    const json& value = array[i];
    // An array or object is named by its type: dumping it recurses once per level of nesting,
    // which a client chooses (a deep enough one would overflow the stack).
    if (!value.is_number())
      throw field_error(
          field,
          "element " + std::to_string(i) + " is " +
              (value.is_primitive() ? value.dump() : std::string("a JSON ") + value.type_name()) +
              ", not a number (NaN and infinity are not accepted)");
    values.push_back(value.get<double>());
    if (!(std::fabs(normalization.normalize(index, values.back())) <=
          std::numeric_limits<float>::max()))
      throw field_error(field, "element " + std::to_string(i) + " is " + value.dump() +
                                   ", beyond the range of this model's inputs");
  }
  return values;
}

// The series `names` (inputs first..first+names.size() of the model) from `value`: a plain
// array when there is one series, else an object with an array per name. Every series must have
// `steps` values, or at least `min_steps` (all the same number) when `steps` is 0.
SeriesTable read_columns(const json& value, const std::string& field,
                         const std::vector<std::string>& names, int64_t first,
                         const SeriesNormalization& normalization, int64_t steps,
                         int64_t min_steps) {
  SeriesTable table;
  table.names = names;
  if (value.is_array()) {
    if (names.size() != 1)
      throw field_error(field, "must be an object with an array for each of the model's " +
                                   std::to_string(names.size()) + " series (" + list(names) + ")");
    table.columns.push_back(read_series(value, field, normalization, first));
  } else if (value.is_object()) {
    for (const auto& [name, series] : value.items())
      if (std::find(names.begin(), names.end(), name) == names.end())
        throw field_error(field, "has a series \"" + name + "\"; the model reads " + list(names));
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string part = field + "." + names[i];
      if (!value.contains(names[i])) throw field_error(part, "is missing");
      table.columns.push_back(
          read_series(value[names[i]], part, normalization, first + static_cast<int64_t>(i)));
    }
  } else {
    throw field_error(field, "must be an array of numbers or an object of such arrays");
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string part = names.size() == 1 && value.is_array() ? field : field + "." + names[i];
    const auto length = static_cast<int64_t>(table.columns[i].size());
    if (steps > 0 && length != steps)
      throw field_error(part, "has " + std::to_string(length) + " values; the model forecasts " +
                                  std::to_string(steps) + " steps and needs one for each");
    if (length < min_steps)
      throw field_error(part, "has " + std::to_string(length) +
                                  " values; the model reads the last " + std::to_string(min_steps) +
                                  " (its context)");
    if (length != table.steps())
      throw field_error(part, "has " + std::to_string(length) + " values, \"" + names[0] +
                                  "\" has " + std::to_string(table.steps()));
  }
  return table;
}

// [H, K] values of one quantity as an array (one target given as an array) or an object of
// arrays by target name.
json by_target(const std::vector<double>& values, const std::vector<std::string>& targets,
               bool named, int64_t horizon) {
  const auto K = static_cast<int64_t>(targets.size());
  json out = named ? json::object() : json::array();
  for (int64_t k = 0; k < K; ++k) {
    json series = json::array();
    for (int64_t j = 0; j < horizon; ++j) series.push_back(values[j * K + k]);
    if (named)
      out[targets[k]] = series;
    else
      out = series;
  }
  return out;
}

}  // namespace

// {"history": [...] or {"name": [...], ...}, "covariates": future values likewise} ->
// {"forecast": [H], "p10": [H], ...} in the series' units: the forecast `rnnkit forecast predict`
// makes for the steps after the history's end.
void handle_forecast(ServeContext& context, const httplib::Request& http,
                     httplib::Response& response) {
  if (!context.forecaster)
    throw HttpError(404, "no forecaster is served; start the server with --forecast-model FILE");
  ServedForecaster& served = *context.forecaster;
  const ForecasterConfig& c = served.inputs.loaded.model->config();
  const SeriesNormalization& normalization = served.inputs.loaded.normalization;
  const std::vector<std::string> targets(normalization.names.begin(),
                                         normalization.names.begin() + c.num_targets);
  const std::vector<std::string> covariates(normalization.names.begin() + c.num_targets,
                                            normalization.names.end());

  JsonFields fields(http.body);
  const json* history = fields.value("history");
  if (!history) throw field_error("history", "is required");
  // A plain array is the one target of a model without covariates; their history is needed too.
  SeriesTable table =
      read_columns(*history, "history", normalization.names, 0, normalization, 0, c.context);
  const json* future = fields.value("covariates");
  std::optional<SeriesTable> future_table;
  if (future && covariates.empty())
    throw field_error("covariates", "is given, but the model reads no covariates");
  if (!future && !covariates.empty())
    throw field_error("covariates", "is required: the model reads " + list(covariates) +
                                        ", known in advance, for each of its " +
                                        std::to_string(c.horizon) + " forecast steps");
  if (future)
    future_table =
        read_columns(*future, "covariates", covariates, c.num_targets, normalization, c.horizon, 1);
  fields.finish();

  NextForecast next;
  {
    const std::lock_guard lock(served.busy);
    if (context.options.threads > 0) set_num_threads(context.options.threads);
    served.inputs.series = make_forecast_series(table, normalization, c.num_targets);
    served.inputs.table = std::move(table);
    next = forecast_next(served.inputs, future_table ? &*future_table : nullptr);
  }
  const bool named = history->is_object();
  json body = {{"forecast", by_target(next.forecast.point, targets, named, c.horizon)}};
  const auto Q = static_cast<int64_t>(c.quantiles.size());
  if (!next.quantiles.empty())
    for (int64_t q = 0; q < Q; ++q) {
      std::vector<double> values;
      for (size_t v = static_cast<size_t>(q); v < next.quantiles.size(); v += Q)
        values.push_back(next.quantiles[v]);
      body[c.quantile_name(static_cast<size_t>(q))] = by_target(values, targets, named, c.horizon);
    }
  response.set_content(body.dump() + "\n", "application/json");
}

}  // namespace rnnkit::serve
