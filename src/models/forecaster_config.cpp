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
  // The percent of the quantile's shortest decimal, its point moved by text: 0.025 is p2.5 and
  // 0.3 p30 (the float product 100 * 0.3f is 30.000002).
  char digits[64];
  const char* end =
      std::to_chars(digits, digits + sizeof digits, quantiles.at(i), std::chars_format::fixed).ptr;
  std::string fraction(static_cast<const char*>(digits), end);  // "0.025": q in (0, 1)
  fraction = fraction.substr(fraction.find('.') + 1);
  fraction.resize(std::max<size_t>(fraction.size(), 2), '0');
  const std::string whole = std::to_string(std::stoi(fraction.substr(0, 2)));
  const std::string rest = fraction.substr(2);
  return "p" + whole + (rest.empty() ? "" : "." + rest);
}

int64_t ForecasterConfig::point_index() const {
  if (loss != ForecastLossKind::Quantile) return 0;
  if (const auto median = std::find(quantiles.begin(), quantiles.end(), 0.5f);
      median != quantiles.end())
    return median - quantiles.begin();
  // A file of another tool may lack 0.5 (training requires it): the nearest, the lower of two
  // as near (0.1 and 0.9, whose float distances differ in the last bits).
  const auto distance = [](float q) { return std::abs(static_cast<double>(q) - 0.5); };
  int64_t nearest = 0;
  for (int64_t i = 1; i < std::ssize(quantiles); ++i)
    if (distance(quantiles[i]) < distance(quantiles[nearest]) - 1e-6) nearest = i;
  return nearest;
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
  }
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
