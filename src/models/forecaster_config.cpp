#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"
#include "rnnkit/forecaster.h"

namespace rnnkit {

ForecastHead parse_forecast_head(std::string_view name) {
  if (name == "direct") return ForecastHead::Direct;
  if (name == "autoregressive") return ForecastHead::Autoregressive;
  throw Error("unknown forecast head \"" + std::string(name) + "\" (direct or autoregressive)");
}

std::string forecast_head_name(ForecastHead head) {
  return head == ForecastHead::Direct ? "direct" : "autoregressive";
}

int64_t ForecasterConfig::outputs_per_target() const {
  return loss == ForecastLossKind::Quantile ? static_cast<int64_t>(quantiles.size()) : 1;
}

std::string ForecasterConfig::quantile_name(size_t i) const {
  // The percent as a float's shortest decimal: 0.025 is p2.5, not p2.500000037 or p3.
  const auto percent = static_cast<float>(100.0 * quantiles.at(i));
  char digits[32];
  char* end = std::to_chars(digits, digits + sizeof digits, percent).ptr;
  return "p" + std::string(digits, end);
}

int64_t ForecasterConfig::point_index() const {
  if (loss != ForecastLossKind::Quantile) return 0;
  return std::find(quantiles.begin(), quantiles.end(), 0.5f) - quantiles.begin();
}

void ForecasterConfig::validate() const {
  const auto positive = [](int64_t v, const char* name) {
    if (v <= 0) throw Error(std::string(name) + " must be positive, got " + std::to_string(v));
    if (v > (int64_t{1} << 20))
      throw Error(std::string(name) + " is too large: " + std::to_string(v));
  };
  positive(num_layers, "num_layers");
  positive(hidden_size, "hidden_size");
  positive(context, "context");
  positive(horizon, "horizon");
  positive(num_targets, "num_targets");
  if (num_covariates < 0 || num_covariates > (int64_t{1} << 20))
    throw Error("num_covariates must be >= 0, got " + std::to_string(num_covariates));
  if (!(dropout >= 0.0f && dropout < 1.0f))
    throw Error("dropout must be in [0, 1), got " + std::to_string(dropout));
  if (loss != ForecastLossKind::Quantile) return;
  if (quantiles.empty()) throw Error("the quantile loss needs at least one quantile");
  for (size_t i = 0; i < quantiles.size(); ++i) {
    if (!(quantiles[i] > 0.0f && quantiles[i] < 1.0f))
      throw Error("quantile " + std::to_string(quantiles[i]) + " is outside (0, 1)");
    if (i > 0 && !(quantiles[i] > quantiles[i - 1]))
      throw Error("quantiles must be strictly increasing");
    if (i > 0 && quantile_name(i) == quantile_name(i - 1))
      throw Error("quantiles " + std::to_string(quantiles[i - 1]) + " and " +
                  std::to_string(quantiles[i]) + " both have the name " + quantile_name(i) +
                  ": give them fewer digits");
  }
  if (std::find(quantiles.begin(), quantiles.end(), 0.5f) == quantiles.end())
    throw Error(
        "the quantiles must include 0.5: a quantile model's point forecast (what eval " +
        std::string("scores, the autoregressive head reads back, the best model is chosen ") +
        "by) is its median");
}

std::string ForecasterConfig::to_json() const {
  nlohmann::json j = {{"family", "forecast"},
                      {"cell", cell_kind_name(cell)},
                      {"num_layers", num_layers},
                      {"hidden_size", hidden_size},
                      {"dropout", dropout},
                      {"context", context},
                      {"horizon", horizon},
                      {"head", forecast_head_name(head)},
                      {"loss", forecast_loss_name(loss)},
                      {"level", forecast_level_name(level)},
                      {"num_targets", num_targets},
                      {"num_covariates", num_covariates}};
  if (loss == ForecastLossKind::Quantile) j["quantiles"] = quantiles;
  return j.dump();
}

ForecasterConfig ForecasterConfig::from_json(const std::string& text) {
  const ConfigReader r(text, "forecast config");
  // A language model's config has no "family": its file is not a forecaster's either.
  const nlohmann::json& family = r.json().value("family", nlohmann::json());
  if (family != "forecast")
    throw Error("not a forecasting model (" +
                (family.is_string() ? "family \"" + family.get<std::string>() + "\""
                                    : std::string("its rnnkit.config has no \"family\"")) +
                ")");
  ForecasterConfig c;
  c.cell = parse_cell_kind(r.string("cell"));
  c.num_layers = r.integer("num_layers", 0, true);
  c.hidden_size = r.integer("hidden_size", 0, true);
  c.dropout = static_cast<float>(r.number("dropout", 0.0));
  c.context = r.integer("context", 0, true);
  c.horizon = r.integer("horizon", 0, true);
  c.head = parse_forecast_head(r.string("head"));
  c.loss = parse_forecast_loss(r.string("loss"));
  // Files written before the option have no "level": their models read levels as they are.
  const nlohmann::json level = r.json().value("level", nlohmann::json("none"));
  if (!level.is_string()) throw Error("forecast config: \"level\" must be \"none\" or \"last\"");
  c.level = parse_forecast_level(level.get<std::string>());
  c.num_targets = r.integer("num_targets", 0, true);
  c.num_covariates = r.integer("num_covariates", 0, true);
  if (c.loss == ForecastLossKind::Quantile) {
    const nlohmann::json q = r.json().value("quantiles", nlohmann::json());
    if (!q.is_array()) throw Error("forecast config: \"quantiles\" must be an array of numbers");
    c.quantiles.clear();
    for (const auto& value : q) {
      if (!value.is_number())
        throw Error("forecast config: \"quantiles\" must be an array of numbers");
      c.quantiles.push_back(value.get<float>());
    }
  }
  r.refuse_unknown_keys(c.to_json());
  c.validate();
  return c;
}

}  // namespace rnnkit
