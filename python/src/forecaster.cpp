#include <pybind11/stl.h>
#include <set>
#include <variant>

#include "model_file_handle.h"
#include "rnnkit/forecast_training.h"

namespace rnnkit::python {
namespace {

ForecastInputs read_forecaster(const std::string& path) {
  return {load_forecaster(path), {}, {}};
}

// Series as rnnkit.Forecaster passes them: a CSV file's path, or the values of the series asked
// for, in that order (NaN: missing).
using SeriesSource = std::variant<std::string, std::vector<std::vector<double>>>;

SeriesTable table_of(const SeriesSource& source, const std::vector<std::string>& names,
                     const std::string& fill, const std::string& what) {
  const FillPolicy policy = parse_fill_policy(fill);
  if (const auto* path = std::get_if<std::string>(&source))
    return read_series_csv(*path, {"", names, policy});
  return series_from_columns(names, std::get<1>(source), policy, what);
}

// A forecaster model file (rnnkit forecast train) and the series of its latest call.
class ForecasterHandle : public ModelFileHandle<ForecasterHandle, ForecastInputs, read_forecaster> {
 public:
  const ForecasterConfig& config() const { return loaded_.loaded.model->config(); }
  std::vector<std::string> targets() const { return loaded_.targets(); }
  std::vector<std::string> covariates() const { return loaded_.covariates(); }
  std::vector<std::string> quantile_names() const {
    std::vector<std::string> names;
    if (config().loss == ForecastLossKind::Quantile)
      for (size_t q = 0; q < config().quantiles.size(); ++q)
        names.push_back(config().quantile_name(q));
    return names;
  }

  // As `rnnkit forecast predict`: the step index of the first forecast, the points [H, K] and
  // (quantile models) the quantiles [H, K, Q], in the series' units.
  std::tuple<int64_t, std::vector<double>, std::vector<double>> predict(
      const SeriesSource& data, const std::optional<SeriesSource>& future,
      const std::string& fill) {
    return run_released(mutex_, [&] {
      loaded_.use_table(table_of(data, loaded_.loaded.normalization.names, fill, "data"));
      std::optional<SeriesTable> covariates;
      if (future) covariates = table_of(*future, loaded_.covariates(), fill, "future");
      NextForecast next = forecast_next(loaded_, covariates ? &*covariates : nullptr);
      return std::tuple{loaded_.table.steps(), std::move(next.forecast.point),
                        std::move(next.quantiles)};
    });
  }

  // As `rnnkit forecast eval --json` (its JSON text): `scoring` holds the options given (keys of
  // ForecastScoringOptions::table()); the others are the training run's.
  std::string evaluate(const SeriesSource& data, const std::string& fill,
                       const std::string& scoring) {
    return run_released(mutex_, [&] {
      const auto& table = ForecastScoringOptions::table();
      const nlohmann::json given = nlohmann::json::parse(scoring);
      ForecastScoringOptions options;
      options_from_json(options, table, given, "Forecaster.evaluate");
      validate_options(options, table);
      std::set<std::string> keys;
      for (const auto& item : given.items()) keys.insert(item.key());
      loaded_.use_table(table_of(data, loaded_.loaded.normalization.names, fill, "data"));
      return scores_json(compare_with_baselines(loaded_, scoring_of_run(loaded_, options, keys)))
          .dump();
    });
  }
};

}  // namespace

void bind_forecaster(py::module_& m) {
  py::class_<ForecasterHandle>(m, "ForecasterHandle",
                               "A forecaster model file (rnnkit.Forecaster's engine).")
      .def_static("load", &ForecasterHandle::load, py::arg("path"))
      .def_property_readonly("targets", &ForecasterHandle::targets)
      .def_property_readonly("covariates", &ForecasterHandle::covariates)
      .def_property_readonly("context",
                             [](const ForecasterHandle& h) { return h.config().context; })
      .def_property_readonly("horizon",
                             [](const ForecasterHandle& h) { return h.config().horizon; })
      .def_property_readonly("quantile_names", &ForecasterHandle::quantile_names)
      .def("predict", &ForecasterHandle::predict, py::arg("data"), py::arg("future"),
           py::arg("fill"))
      .def("evaluate", &ForecasterHandle::evaluate, py::arg("data"), py::arg("fill"),
           py::arg("scoring"));
}

}  // namespace rnnkit::python
