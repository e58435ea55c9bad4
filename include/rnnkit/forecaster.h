#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnkit/cell_kind.h"
#include "rnnkit/checkpoint.h"
#include "rnnkit/forecast_loss.h"
#include "rnnkit/forecast_windows.h"
#include "rnnkit/gradient_sink.h"
#include "rnnkit/language_model.h"
#include "rnnkit/linear.h"
#include "rnnkit/rnn.h"
#include "rnnkit/series_normalization.h"

namespace rnnkit {

// How the H forecast steps come out of the encoder:
//   direct:          head([encoder's last hidden state, covariates of all H future steps])
//                    gives all H steps at once;
//   autoregressive:  a decoder RNN (same cell, layers and width as the encoder) starts from the
//                    encoder's final states and makes one step at a time from
//                    [previous target values, covariates of this step]; training feeds it the true
//                    previous values (teacher forcing), prediction its own point forecasts.
enum class ForecastHead { Direct, Autoregressive };
ForecastHead parse_forecast_head(std::string_view name);  // "direct", "autoregressive"
std::string forecast_head_name(ForecastHead head);

// What a window's target values are measured from:
//   none:  the normalised series as it is;
//   last:  the window's last context value of each target, subtracted from the context's target
//          columns and the targets and added back to the outputs (per-window "instance
//          normalisation", as NLinear subtracts the last value): the model forecasts changes from
//          where the window ends, so a trend carries its forecasts beyond the range of the
//          training part, where a model of normalised levels stays inside it.
enum class ForecastLevel { None, Last };
ForecastLevel parse_forecast_level(std::string_view name);  // "none", "last"
std::string forecast_level_name(ForecastLevel level);

struct ForecasterConfig {
  CellKind cell = CellKind::Lstm;
  int64_t num_layers = 1;
  int64_t hidden_size = 32;
  float dropout = 0.0f;  // between stacked layers, in training only
  int64_t context = 24;  // L past steps read
  int64_t horizon = 6;   // H future steps forecast
  ForecastHead head = ForecastHead::Direct;
  ForecastLossKind loss = ForecastLossKind::Mse;
  ForecastLevel level = ForecastLevel::None;
  std::vector<float> quantiles{0.1f, 0.5f, 0.9f};  // used by the quantile loss only
  int64_t num_targets = 1;                         // K series forecast
  int64_t num_covariates = 0;                      // C series known in advance

  int64_t input_size() const { return num_targets + num_covariates; }
  // Q values per target and step: one per quantile for the quantile loss, else 1.
  int64_t outputs_per_target() const;
  // Which of the Q values is the point forecast: the 0.5 quantile (training requires one; in a
  // file without it, the quantile nearest 0.5, the lower of two as near), else the only one.
  int64_t point_index() const;
  // Quantile i's name in outputs (CSV columns, JSON keys, chart labels): its percent, p10, p2.5.
  std::string quantile_name(size_t i) const;
  void validate() const;  // Error naming the impossible setting
  // The "rnnkit.config" metadata: these fields and "family": "forecast".
  std::string to_json() const;
  static ForecasterConfig from_json(const std::string& json);
};

// An RNN encoder over the context window and a direct or autoregressive head, all on normalised
// values. Parameters: encoder.* and decoder.* (torch.nn.LSTM/GRU names), head.weight, head.bias.
class Forecaster {
 public:
  explicit Forecaster(const ForecasterConfig& config);

  const ForecasterConfig& config() const { return config_; }
  ParameterList parameters();
  void reset_parameters(Rng& rng);  // PyTorch's defaults for every layer

  // Mean loss over the H * B * K forecast values of the batch (teacher forcing for the
  // autoregressive head); with `backward` its gradient is accumulated into the parameters.
  // `outputs` (when not null) receives the predictions [H, B, K, Q].
  LossResult forward_backward(const ForecastBatch& batch, bool training, bool backward, Rng* rng,
                              Tensor* outputs = nullptr);
  // Forecasts [H, B, K, Q] from batch.context and batch.future_covariates alone (batch.targets
  // is not read): the autoregressive head feeds back its own point forecasts.
  void predict(const ForecastBatch& batch, Tensor& outputs);

  StateDict state_dict();
  void load_state_dict(const std::map<std::string, Tensor>& tensors);  // strict

  // Data-parallel training (docs/DISTRIBUTED.md): where the next batches sit in the global
  // batch (dropout), and the sink the backward pass reports finished gradients to (or null).
  void set_data_parallel(const BatchShard& shard, GradientSink* sink);

 private:
  void check_batch(const ForecastBatch& batch, bool with_targets) const;
  // With ForecastLevel::Last, the batch measured from level_ [B, K], its last context values (in
  // relative_); else `batch` itself. add_level moves outputs [H, B, K, Q] back by level_.
  const ForecastBatch& relative_to_level(const ForecastBatch& batch, bool with_targets);
  void add_level(Tensor& outputs) const;
  void encode(const ForecastBatch& batch, bool training, Rng* rng);
  void direct_forward(const ForecastBatch& batch);
  void direct_backward(const Tensor& doutputs, const GradientReport& report);
  void decoder_input_row(const float* previous, int64_t ld_b, int64_t ld_k, const float* covariates,
                         int64_t B, float* row) const;

  ForecasterConfig config_;
  RNN encoder_;
  std::unique_ptr<RNN> decoder_;  // autoregressive head only
  GradientSink* gradient_sink_ = nullptr;
  Linear head_;
  // Encoder: outputs [L,B,Hd], final states [layers,B,Hd] (c for LSTM). Direct head: features
  // [B, Hd + H*C], head outputs [B, H*K*Q]. Decoder: inputs [H,B,K+C], outputs [H,B,Hd].
  Tensor encoder_y_, hN_, cN_, features_, direct_out_, outputs_, doutputs_;
  Tensor decoder_x_, decoder_y_, ddecoder_y_, dfeatures_, dhN_, dcN_, dencoder_y_;
  Tensor step_x_, step_y_, step_out_, h_next_, c_next_;
  ForecastBatch relative_;
  Tensor level_;
};

// A forecaster file: safetensors with "rnnkit.config" (ForecasterConfig::to_json) and
// "rnnkit.normalization" (SeriesNormalization::to_json, one entry per input series).
void save_forecaster(const std::string& path, Forecaster& model,
                     const SeriesNormalization& normalization);
struct LoadedForecaster {
  std::unique_ptr<Forecaster> model;
  SeriesNormalization normalization;
  // "rnnkit.scoring" of a file that `rnnkit forecast train` wrote (the run's split, season and
  // origin step, as JSON); empty in a file without it.
  std::string scoring;
};
// Error unless `tensors` have the sizes `config` claims (before a model is allocated from it).
void check_config_against_tensors(const ForecasterConfig& config,
                                  const std::map<std::string, Tensor>& tensors);
// Accepts a model file or a run directory (best.safetensors, else last.safetensors). Error for a
// file of another family, a missing or unexpected tensor, or a normalization of the wrong size.
LoadedForecaster load_forecaster(const std::string& path);

}  // namespace rnnkit
