#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"
#include "rnnkit/forecaster.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {

void save_forecaster(const std::string& path, Forecaster& model,
                     const SeriesNormalization& normalization) {
  const ForecasterConfig& c = model.config();
  if (static_cast<int64_t>(normalization.names.size()) != c.input_size())
    throw Error("save_forecaster: normalisation of " + std::to_string(normalization.names.size()) +
                " series for a model of " + std::to_string(c.input_size()) + " inputs");
  write_safetensors(
      path, model.state_dict(),
      {{"rnnkit.config", c.to_json()}, {"rnnkit.normalization", normalization.to_json()}});
}

void check_config_against_tensors(const ForecasterConfig& config,
                                  const std::map<std::string, Tensor>& t) {
  expect_dimension(t, "encoder.weight_ih_l0", 1, config.input_size(),
                   "num_targets + num_covariates");
  expect_dimension(t, "encoder.weight_hh_l0", 1, config.hidden_size, "hidden_size");
  expect_dimension(t, "head.bias", 0,
                   (config.head == ForecastHead::Direct ? config.horizon : 1) * config.num_targets *
                       config.outputs_per_target(),
                   "horizon, num_targets and quantiles");
  if (count_numbered(t, "encoder.weight_hh_l") != config.num_layers)
    throw Error("the configuration's num_layers does not match the tensors");
}

LoadedForecaster load_forecaster(const std::string& path) {
  const std::string file = resolve_model_path(path);
  SafetensorsFile contents = read_safetensors(file);
  const std::string what = "a forecasting model";
  return naming_file(file, [&] {
    const ForecasterConfig config =
        ForecasterConfig::from_json(require_metadata(contents, "rnnkit.config", file, what));
    LoadedForecaster loaded{nullptr,
                            SeriesNormalization::from_json(
                                require_metadata(contents, "rnnkit.normalization", file, what)),
                            {}};
    if (static_cast<int64_t>(loaded.normalization.names.size()) != config.input_size())
      throw Error("the normalization has " + std::to_string(loaded.normalization.names.size()) +
                  " series, the model " + std::to_string(config.input_size()) + " inputs");
    const auto scoring = contents.metadata.find("rnnkit.scoring");
    if (scoring != contents.metadata.end()) loaded.scoring = scoring->second;
    check_config_against_tensors(config, contents.tensors);
    loaded.model = std::make_unique<Forecaster>(config);
    loaded.model->load_state_dict(contents.tensors);
    return loaded;
  });
}

}  // namespace rnnkit
