// Forecasters as a training task: shuffled windows of the training part, validated by the point
// forecasts' errors on the validation part.
#include <algorithm>
#include <cmath>

#include "rnnkit/error.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/formatted.h"
#include "rnnkit/gemm.h"
#include "train/family_tasks.h"
#include "train/fingerprint.h"
#include "train/model_task.h"
#include "train/shuffled_batches.h"
#include "train/train_state.h"

namespace rnnkit {
namespace {

using json = nlohmann::json;

std::string trimmed(const std::string& text) {
  const size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return text.substr(begin, text.find_last_not_of(" \t") - begin + 1);
}

std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size() && !text.empty()) {
    const size_t end = std::min(text.find(',', begin), text.size());
    if (end == begin) throw Error("an empty entry in the list \"" + text + "\"");
    out.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}

// The model's input columns: the targets, then the covariates, each once.
std::vector<std::string> input_columns(const ForecastTrainOptions& o) {
  std::vector<std::string> names = comma_list(o.target);
  const size_t targets = names.size();
  for (std::string& c : comma_list(o.covariates)) {
    const auto found = std::find(names.begin(), names.end(), c);
    if (found != names.end() && found - names.begin() < static_cast<std::ptrdiff_t>(targets))
      throw Error("--covariates: \"" + c +
                  "\" is a target already (a covariate is known in "
                  "advance, a target is forecast)");
    if (found != names.end()) throw Error("--covariates: \"" + c + "\" is named twice");
    names.push_back(std::move(c));
  }
  for (size_t i = 0; i < names.size(); ++i)
    if (std::find(names.begin() + i + 1, names.end(), names[i]) != names.end())
      throw Error("the column \"" + names[i] + "\" is named twice");
  return names;
}

class ForecastTask : public ShuffledModelTask<Forecaster> {
 public:
  ForecastTask(const ForecastTrainOptions& o, Rng& rng, const SafetensorsFile* state) : o_(o) {
    const ForecasterConfig config =
        state ? ForecasterConfig::from_json(stored(*state, "rnnkit.config")) : o.model_config();
    if (state) check_config_against_tensors(config, model_tensors_of(*state));
    const std::vector<std::string> names = input_columns(o);
    table_ = read_series_csv(o.data, {"", names, parse_fill_policy(o.fill)});
    split_ = o.split(table_.steps(), config.context, config.horizon);
    normalization_ = state ? SeriesNormalization::from_json(stored(*state, "rnnkit.normalization"))
                           : SeriesNormalization::fit(table_, names, split_.train_end);
    series_ = make_forecast_series(table_, normalization_, config.num_targets);
    train_origins_ =
        rolling_origins(config.context, split_.train_end, config.context, config.horizon, 1);
    if (split_.valid_steps() > 0)
      valid_origins_ = rolling_origins(split_.train_end, split_.valid_end, config.context,
                                       config.horizon, o.origin_step);
    // The validation's MASE scales, from the training part: a season too long for it is refused
    // before the first epoch rather than at its end.
    if (!valid_origins_.empty()) {
      if (split_.train_end <= o.season)
        throw Error("--season " + std::to_string(o.season) +
                    " must be shorter than the training part (" + std::to_string(split_.train_end) +
                    " steps): the validation's MASE compares with the forecast of one season back");
      for (int64_t k = 0; k < config.num_targets; ++k)
        mase_scales_.push_back(seasonal_naive_scale(
            std::span<const double>(table_.columns[k]).first(split_.train_end), o.season));
    }
    model_ = std::make_unique<Forecaster>(config);
    if (!state) model_->reset_parameters(rng);
    // Windows of one length: ShuffledBatches' buckets are one shuffled list.
    std::vector<int64_t> windows(train_origins_.size());
    for (size_t i = 0; i < windows.size(); ++i) windows[i] = static_cast<int64_t>(i);
    batches_ = std::make_unique<ShuffledBatches>(windows, std::vector<int64_t>(windows.size(), 1),
                                                 o.batch);
    start_epoch(rng);
  }

  std::string family() const override { return "forecast"; }
  std::map<std::string, std::string> model_metadata() override {
    const ForecastScoringOptions& scoring = o_;
    return {{"rnnkit.config", model_->config().to_json()},
            {"rnnkit.normalization", normalization_.to_json()},
            {"rnnkit.scoring", options_to_json(scoring, ForecastScoringOptions::table()).dump()}};
  }

  std::string description() override {
    return std::to_string(table_.steps()) + " steps (training " +
           std::to_string(split_.train_steps()) + ", validation " +
           std::to_string(split_.valid_steps()) + ", test " + std::to_string(split_.test_steps()) +
           "), " + counted(std::ssize(train_origins_), "training window", "training windows");
  }

  bool train_next(Rng& rng, LossResult& loss) override {
    std::vector<int64_t> mine;
    if (!next_batch(mine)) return false;
    loss = {};
    if (mine.empty()) return true;
    std::vector<int64_t> origins;
    for (int64_t w : mine) origins.push_back(train_origins_[w]);
    const ForecasterConfig& c = model_->config();
    loss = model_->forward_backward(make_forecast_batch(series_, origins, c.context, c.horizon),
                                    true, true, &rng);
    return true;
  }

  uint64_t data_fingerprint() override {
    return Fingerprint()
        .add(std::span<const float>(series_.values))
        .add(std::span<const int64_t>(train_origins_))
        .add(std::span<const int64_t>(valid_origins_))
        .value();
  }

  // Every rank scores the few validation windows whole (RMSE and MASE do not add up by share).
  std::optional<ValidationResult> validate() override {
    if (valid_origins_.empty()) return std::nullopt;
    const ForecasterConfig& c = model_->config();
    Tensor outputs;  // [H, B, K, Q]
    const ForecastBatch batch = make_forecast_batch(series_, valid_origins_, c.context, c.horizon);
    // The training loss's measure (teacher forcing for the autoregressive head), for the plot of
    // training against validation.
    const double loss = model_->forward_backward(batch, false, false, nullptr).mean();
    model_->predict(batch, outputs);
    const auto B = static_cast<int64_t>(valid_origins_.size());
    const int64_t K = c.num_targets, Q = c.outputs_per_target();
    double mae = 0, rmse = 0, mase = 0;
    bool mase_defined = true;
    for (int64_t k = 0; k < K; ++k) {
      std::vector<double> actual, point;
      for (int64_t j = 0; j < c.horizon; ++j)
        for (int64_t b = 0; b < B; ++b) {
          actual.push_back(table_.columns[k][valid_origins_[b] + j]);
          const float v = outputs.data()[((j * B + b) * K + k) * Q + c.point_index()];
          point.push_back(normalization_.denormalize(k, v));
        }
      const PointMetrics m = point_metrics(actual, point, mase_scales_[k]);
      mae += m.mae / K, rmse += m.rmse / K;
      if (m.mase)
        mase += *m.mase / K;
      else
        mase_defined = false;
    }
    ValidationResult result{
        mae,
        {{"valid_loss", loss}, {"mae", mae}, {"rmse", rmse}},
        "validation MAE " + fixed_or_scientific(mae, 4) + ", RMSE " + fixed_or_scientific(rmse, 4)};
    // The best model is chosen by MAE, so an undefined MASE (a training part that repeats itself
    // exactly) is only left out of the log.
    if (mase_defined) {
      result.fields["mase"] = mase;
      result.summary += formatted(", MASE %.4f", mase);
    } else {
      result.summary += ", MASE undefined (the training part repeats itself every --season steps)";
    }
    return result;
  }

 private:
  ForecastTrainOptions o_;
  SeriesTable table_;
  SeriesSplit split_;
  SeriesNormalization normalization_;
  ForecastSeries series_;
  std::vector<int64_t> train_origins_, valid_origins_;
  std::vector<double> mase_scales_;  // per target
};

}  // namespace

ForecasterConfig ForecastTrainOptions::model_config() const {
  ForecasterConfig c;
  c.cell = parse_cell_kind(cell);
  c.num_layers = layers;
  c.hidden_size = hidden;
  c.dropout = static_cast<float>(dropout);
  c.context = context;
  c.horizon = horizon;
  c.head = parse_forecast_head(head);
  c.loss = parse_forecast_loss(loss);
  c.level = parse_forecast_level(level);
  if (c.loss != ForecastLossKind::Quantile && quantiles != ForecastTrainOptions{}.quantiles)
    throw Error("--quantiles are the quantile loss's (--loss quantile); --loss " + loss +
                " forecasts one value a step, so they would do nothing");
  c.quantiles.clear();
  for (const std::string& entry : comma_list(quantiles)) {
    const std::string q = trimmed(entry);
    size_t used = 0;
    double value = NAN;
    try {
      value = std::stod(q, &used);
    } catch (const std::exception&) {
    }
    if (q.empty() || used != q.size() || !(value > 0 && value < 1))
      throw Error("--quantiles: \"" + q + "\" is not a number between 0 and 1");
    // The model keeps its quantiles in float32: one that rounds to 0 or 1, or to its neighbour,
    // is not the quantile asked for.
    const float stored = static_cast<float>(value);
    if (!(stored > 0 && stored < 1))
      throw Error("--quantiles: " + q + " rounds to " + formatted("%g", stored) +
                  " in float32, the model's precision");
    if (!c.quantiles.empty() && stored == c.quantiles.back())
      throw Error("--quantiles: " + q + " is the same float32 number as the quantile before it");
    c.quantiles.push_back(stored);
  }
  c.num_targets = static_cast<int64_t>(comma_list(target).size());
  c.num_covariates = static_cast<int64_t>(input_columns(*this).size()) - c.num_targets;
  c.validate();
  if (c.loss == ForecastLossKind::Quantile &&
      std::find(c.quantiles.begin(), c.quantiles.end(), 0.5f) == c.quantiles.end())
    throw Error(
        "--quantiles must include 0.5: a quantile model's point forecast (what eval "
        "scores, the autoregressive head reads back, the best model is chosen by) is its "
        "median");
  return c;
}

const OptionTable<ForecastTrainOptions>& ForecastTrainOptions::table() {
  using O = ForecastTrainOptions;
  static const OptionTable<O> t = [] {
    OptionTable<O> t = {
        {"--target", "target", &O::target, "target column(s), comma-separated", {}, "Data"},
        {"--covariates",
         "covariates",
         &O::covariates,
         "columns known in advance for the forecast steps too, comma-separated",
         {},
         "Data"},
        {"--context", "context", &O::context, "past steps the model reads", between(1, 1 << 20),
         "Model"},
        {"--horizon", "horizon", &O::horizon, "future steps forecast", between(1, 1 << 20),
         "Model"},
        {"--head", "head", &O::head, "direct | autoregressive",
         one_of({"direct", "autoregressive"}), "Model"},
        {"--loss", "loss", &O::loss, "mse | mae | quantile", one_of({"mse", "mae", "quantile"}),
         "Model"},
        {"--quantiles",
         "quantiles",
         &O::quantiles,
         "quantiles of the quantile loss, 0.5 (the point forecast) among them",
         {},
         "Model"},
        {"--level", "level", &O::level,
         "none | last: forecast each window relative to its last context value (per-window "
         "instance normalisation; lets a model follow a trend beyond the training range)",
         one_of({"none", "last"}), "Model"},
    };
    for (auto& s : inherit_options<O>(ForecastSeriesOptions::table(), "Data")) t.push_back(s);
    for (auto& s : inherit_options<O>(ForecastScoringOptions::table(), "Data")) t.push_back(s);
    // A forecaster reads numbers, forwards in time: no embedding, no reverse direction.
    for (auto& s : inherit_options<O>(ModelShapeOptions::table(), "Model"))
      if (s.key != "embedding" && s.key != "bidirectional") t.push_back(s);
    for (auto& s : engine_options_of<O>(false)) t.push_back(s);
    return t;
  }();
  return t;
}

void ForecastTrainOptions::validate() const {
  validate_family_options(*this, {{target, "--target COLUMN"}});
}

TrainSummary train_forecaster_from(const ForecastTrainOptions& options,
                                   const SafetensorsFile* state) {
  return train_family<ForecastTask>(options, state);
}

TrainSummary train_forecaster(const ForecastTrainOptions& options) {
  return train_forecaster_from(options, nullptr);
}

}  // namespace rnnkit
