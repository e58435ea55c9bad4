#include "rnnkit/forecaster.h"

#include <utility>

#include "rnnkit/checkpoint.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

const ForecasterConfig& validated(const ForecasterConfig& c) {
  c.validate();
  return c;
}

RNNOptions rnn_options(const ForecasterConfig& c) {
  return {c.cell, c.input_size(), c.hidden_size, c.num_layers, false, c.dropout};
}

// Direct: [last hidden state, H steps of C covariates] -> H steps of K*Q. Autoregressive: one
// decoder output -> one step of K*Q.
int64_t head_inputs(const ForecasterConfig& c) {
  return c.head == ForecastHead::Direct ? c.hidden_size + c.horizon * c.num_covariates
                                        : c.hidden_size;
}
int64_t head_outputs(const ForecasterConfig& c) {
  const int64_t step = c.num_targets * c.outputs_per_target();
  return c.head == ForecastHead::Direct ? c.horizon * step : step;
}

}  // namespace

Forecaster::Forecaster(const ForecasterConfig& config)
    : config_(validated(config)),
      encoder_(rnn_options(config), "encoder"),
      decoder_(config.head == ForecastHead::Autoregressive
                   ? std::make_unique<RNN>(rnn_options(config), "decoder")
                   : nullptr),
      head_(head_inputs(config), head_outputs(config), "head") {}

ParameterList Forecaster::parameters() {
  ParameterList params = encoder_.parameters();
  if (decoder_)
    for (Parameter* p : decoder_->parameters()) params.push_back(p);
  for (Parameter* p : head_.parameters()) params.push_back(p);
  return params;
}

void Forecaster::reset_parameters(Rng& rng) {
  encoder_.reset_parameters(rng);
  if (decoder_) decoder_->reset_parameters(rng);
  head_.reset_parameters(rng);
}

void Forecaster::check_batch(const ForecastBatch& batch, bool with_targets) const {
  const int64_t B = batch.batch(), K = config_.num_targets, C = config_.num_covariates;
  const auto expect = [&](const Tensor& t, Shape shape, const char* name) {
    if (t.shape() != shape)
      throw Error(std::string("forecaster: ") + name + " has shape " + t.shape_string() +
                  ", the model expects " + shape_string(shape));
  };
  if (B == 0) throw Error("forecaster: empty batch");
  expect(batch.context, {config_.context, B, K + C}, "the context");
  expect(batch.future_covariates, {config_.horizon, B, C}, "the future covariates");
  if (with_targets) expect(batch.targets, {config_.horizon, B, K}, "the targets");
}

// context [L,B,K+C] -> encoder_y_ [L,B,Hd], hN_ (and cN_ for LSTM) [layers,B,Hd]
void Forecaster::encode(const ForecastBatch& batch, bool training, Rng* rng) {
  const bool lstm = has_cell_state(config_.cell);
  encoder_.forward(batch.context, nullptr, nullptr, encoder_y_, &hN_, lstm ? &cN_ : nullptr,
                   training, rng);
}

// features_ [B, Hd + H*C] = [hN_ of the last layer, future covariates of steps 0..H-1]
// direct_out_ [B, H*K*Q] = head(features_); outputs_ [H,B,K,Q] is its time-major copy.
void Forecaster::direct_forward(const ForecastBatch& batch) {
  const int64_t B = batch.batch(), Hd = config_.hidden_size, H = config_.horizon;
  const int64_t C = config_.num_covariates, F = Hd + H * C;
  const int64_t KQ = config_.num_targets * config_.outputs_per_target();
  features_.resize({B, F});
  rows::copy(B, Hd, hN_.data() + (config_.num_layers - 1) * B * Hd, Hd, features_.data(), F);
  for (int64_t j = 0; j < H; ++j)
    rows::copy(B, C, batch.future_covariates.data() + j * B * C, C, features_.data() + Hd + j * C,
               F);
  direct_out_.resize({B, H * KQ});
  head_.forward(features_.data(), F, B, direct_out_.data(), H * KQ);
  outputs_.resize({H, B, config_.num_targets, config_.outputs_per_target()});
  for (int64_t j = 0; j < H; ++j)
    rows::copy(B, KQ, direct_out_.data() + j * KQ, H * KQ, outputs_.data() + j * B * KQ, KQ);
}

// doutputs [H,B,K,Q] -> head -> dfeatures_ [B, Hd + H*C]; its first Hd columns are the gradient
// of the encoder's last hidden state (the covariates are data, their gradient is dropped).
void Forecaster::direct_backward(const Tensor& doutputs, const GradientReport& report) {
  const int64_t B = doutputs.dim(1), Hd = config_.hidden_size, H = config_.horizon;
  const int64_t F = Hd + H * config_.num_covariates;
  const int64_t KQ = config_.num_targets * config_.outputs_per_target();
  for (int64_t j = 0; j < H; ++j)  // direct_out_ now holds the gradient of the head's outputs
    rows::copy(B, KQ, doutputs.data() + j * B * KQ, KQ, direct_out_.data() + j * KQ, H * KQ);
  dfeatures_.resize({B, F});
  head_.backward(features_.data(), F, B, direct_out_.data(), H * KQ, dfeatures_.data(), F);
  report(head_.parameters());
  dhN_.resize(encoder_.state_shape(B));
  dhN_.zero();
  rows::copy(B, Hd, dfeatures_.data(), F, dhN_.data() + (config_.num_layers - 1) * B * Hd, Hd);
  dencoder_y_.resize({config_.context, B, Hd});
  dencoder_y_.zero();
  encoder_.backward(dencoder_y_, &dhN_, nullptr, nullptr, nullptr, nullptr, report);
}

// One decoder input step, row [B, K+C] = [previous targets, this step's covariates], where the
// previous value of target k in column b is previous[b * ld_b + k * ld_k].
void Forecaster::decoder_input_row(const float* previous, int64_t ld_b, int64_t ld_k,
                                   const float* covariates, int64_t B, float* row) const {
  const int64_t K = config_.num_targets, C = config_.num_covariates;
  for (int64_t b = 0; b < B; ++b) {
    for (int64_t k = 0; k < K; ++k) row[b * (K + C) + k] = previous[b * ld_b + k * ld_k];
    for (int64_t c = 0; c < C; ++c) row[b * (K + C) + K + c] = covariates[b * C + c];
  }
}

void Forecaster::set_data_parallel(const BatchShard& shard, GradientSink* sink) {
  encoder_.set_batch_shard(shard);
  if (decoder_) decoder_->set_batch_shard(shard);
  gradient_sink_ = sink;
}

LossResult Forecaster::forward_backward(const ForecastBatch& given, bool training, bool backward,
                                        Rng* rng, Tensor* outputs) {
  check_batch(given, true);
  // The loss of relative outputs against relative targets is that of the outputs.
  const ForecastBatch& batch = relative_to_level(given, true);
  const int64_t B = batch.batch(), H = config_.horizon, L = config_.context;
  const int64_t K = config_.num_targets, C = config_.num_covariates, W = K + C;
  const int64_t Hd = config_.hidden_size, KQ = K * config_.outputs_per_target();
  const bool lstm = has_cell_state(config_.cell);
  encode(batch, training, rng);
  if (config_.head == ForecastHead::Direct) {
    direct_forward(batch);
  } else {
    // Teacher forcing: decoder_x_ [H,B,K+C], step j reads the true targets of step j - 1 (the
    // last context step for j = 0); decoder_y_ [H,B,Hd]; outputs_ [H,B,K,Q] = head(decoder_y_).
    decoder_x_.resize({H, B, W});
    for (int64_t j = 0; j < H; ++j) {
      const float* previous =
          j == 0 ? batch.context.data() + (L - 1) * B * W : batch.targets.data() + (j - 1) * B * K;
      decoder_input_row(previous, j == 0 ? W : K, 1, batch.future_covariates.data() + j * B * C, B,
                        decoder_x_.data() + j * B * W);
    }
    decoder_->forward(decoder_x_, &hN_, lstm ? &cN_ : nullptr, decoder_y_, nullptr, nullptr,
                      training, rng);
    outputs_.resize({H, B, K, config_.outputs_per_target()});
    head_.forward(decoder_y_.data(), Hd, H * B, outputs_.data(), KQ);
  }
  if (outputs) {
    *outputs = outputs_;
    add_level(*outputs);
  }

  const int64_t n = H * B * K;
  doutputs_.resize(outputs_.shape());
  const std::span<const float> quantiles = config_.loss == ForecastLossKind::Quantile
                                               ? std::span<const float>(config_.quantiles)
                                               : std::span<const float>();
  const double sum =
      forecast_loss(config_.loss, quantiles, outputs_.data(), batch.targets.data(), n,
                    backward ? doutputs_.data() : nullptr, 1.0f / static_cast<float>(n));
  if (!backward) return {sum, n};

  const GradientReport report{gradient_sink_, n};
  if (config_.head == ForecastHead::Direct) {
    direct_backward(doutputs_, report);
    return {sum, n};
  }
  // doutputs_ -> head -> ddecoder_y_ [H,B,Hd] -> decoder -> gradients of its initial states,
  // which are the encoder's final states.
  ddecoder_y_.resize({H, B, Hd});
  head_.backward(decoder_y_.data(), Hd, H * B, doutputs_.data(), KQ, ddecoder_y_.data(), Hd);
  report(head_.parameters());
  decoder_->backward(ddecoder_y_, nullptr, nullptr, nullptr, &dhN_, lstm ? &dcN_ : nullptr, report);
  dencoder_y_.resize({L, B, Hd});
  dencoder_y_.zero();
  encoder_.backward(dencoder_y_, &dhN_, lstm ? &dcN_ : nullptr, nullptr, nullptr, nullptr, report);
  return {sum, n};
}

void Forecaster::predict(const ForecastBatch& given, Tensor& outputs) {
  check_batch(given, false);
  const ForecastBatch& batch = relative_to_level(given, false);
  encode(batch, false, nullptr);
  if (config_.head == ForecastHead::Direct) {
    direct_forward(batch);
    outputs = outputs_;
    add_level(outputs);
    return;
  }
  const int64_t B = batch.batch(), H = config_.horizon, L = config_.context;
  const int64_t K = config_.num_targets, C = config_.num_covariates, W = K + C;
  const int64_t Q = config_.outputs_per_target(), KQ = K * Q, Hd = config_.hidden_size;
  const bool lstm = has_cell_state(config_.cell);
  outputs.resize({H, B, K, Q});
  // Step j: step_x_ [1,B,K+C] from the point forecasts of step j - 1 -> step_y_ [1,B,Hd] ->
  // outputs[j] [B,K,Q]; the state moves from hN_/cN_ to h_next_/c_next_ and is swapped back.
  for (int64_t j = 0; j < H; ++j) {
    step_x_.resize({1, B, W});
    if (j == 0) {
      decoder_input_row(batch.context.data() + (L - 1) * B * W, W, 1,
                        batch.future_covariates.data(), B, step_x_.data());
    } else {
      decoder_input_row(outputs.data() + (j - 1) * B * KQ + config_.point_index(), KQ, Q,
                        batch.future_covariates.data() + j * B * C, B, step_x_.data());
    }
    decoder_->forward(step_x_, &hN_, lstm ? &cN_ : nullptr, step_y_, &h_next_,
                      lstm ? &c_next_ : nullptr, false, nullptr);
    head_.forward(step_y_.data(), Hd, B, outputs.data() + j * B * KQ, KQ);
    std::swap(hN_, h_next_);
    if (lstm) std::swap(cN_, c_next_);
  }
  add_level(outputs);  // the steps fed back their relative point forecasts
}

StateDict Forecaster::state_dict() {
  StateDict tensors;
  for (Parameter* p : parameters()) tensors.emplace_back(p->name, &p->value);
  return tensors;
}

void Forecaster::load_state_dict(const std::map<std::string, Tensor>& tensors) {
  std::vector<std::pair<std::string, Tensor*>> expected;
  for (Parameter* p : parameters()) expected.emplace_back(p->name, &p->value);
  load_state_dict_strict(expected, tensors);
  note_weights_changed();
}

}  // namespace rnnkit
