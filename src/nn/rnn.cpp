#include "rnnkit/rnn.h"

#include "nn/cell_type.h"
#include "rnnkit/error.h"
#include "rnnkit/single_row_product.h"
#include "tensor/element_ranges.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

// out = x times the dropout mask, element by element (out may be x), on both threads when large.
void apply_dropout_mask(int64_t n, const float* x, const float* mask, float* out) {
  for_element_ranges(n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) out[i] = x[i] * mask[i];
  });
}

}  // namespace

RNN::RNN(RNNOptions options, const std::string& prefix) : options_(options) {
  // The command line's bound (--layers): far past any model, short of a count that would take
  // all memory building layers.
  if (options.num_layers < 1 || options.num_layers > kMaxLayers)
    throw Error("num_layers must be in 1.." + std::to_string(kMaxLayers) + ", got " +
                std::to_string(options.num_layers));
  if (!(options.dropout >= 0.0f && options.dropout < 1.0f))
    throw Error("dropout must be in [0, 1), got " + std::to_string(options.dropout));
  const int64_t D = directions(), H = options.hidden_size;
  for (int64_t l = 0; l < options.num_layers; ++l) {
    for (int64_t d = 0; d < D; ++d) {
      std::string suffix = "_l" + std::to_string(l) + (d ? "_reverse" : "");
      layers_.push_back(std::make_unique<RecurrentLayer>(
          options.cell, l == 0 ? options.input_size : output_size(), H, d == 1, prefix, suffix,
          options.proj_size));
    }
  }
  outputs_.resize(options.num_layers);
  masks_.resize(options.num_layers);
  dropped_.resize(options.num_layers);
}

Shape RNN::state_shape(int64_t batch) const {
  return {options_.num_layers * directions(), batch, state_size()};
}

Shape RNN::cell_state_shape(int64_t batch) const {
  return {options_.num_layers * directions(), batch, options_.hidden_size};
}

ParameterList RNN::parameters() {
  ParameterList params;
  for (auto& layer : layers_)
    for (Parameter* p : layer->parameters()) params.push_back(p);
  return params;
}

void RNN::reset_parameters(Rng& rng) {
  const float k = options_.cell.type().init_bound(options_.hidden_size);
  for (Parameter* p : parameters())
    for (float& v : p->value.span()) v = rng.uniform(-k, k);
  note_weights_changed();
}

// A moved-from RNN has no layers (a constructed one has at least one): an Error, not a crash.
void RNN::check_usable() const {
  if (layers_.empty()) throw Error("RNN: this object was moved from; its layers are elsewhere");
}

// Given a cell state it does not have, a GRU or plain RNN would ignore it silently.
Error RNN::no_cell_state_error(const char* name) const {
  return Error(std::string("RNN: ") + name + " is given, but a " + cell_kind_name(options_.cell) +
               " layer has no cell state (c0, cN and their gradients are the LSTM's)");
}

void RNN::check_state(const Tensor* state, const char* name, const Shape& expected) const {
  if (state && state->shape() != expected)
    throw Error(std::string("RNN: ") + name + " has shape " + state->shape_string() +
                ", expected " + shape_string(expected));
}

void RNN::draw_dropout_mask(Rng& rng, Tensor& mask, int64_t T, int64_t B, int64_t W) const {
  const int64_t total = shard_.total ? shard_.total : B, first = shard_.first;
  if (first < 0 || first + B > total)
    throw Error("RNN: a batch of " + std::to_string(B) + " columns from column " +
                std::to_string(first) + " does not fit a global batch of " + std::to_string(total));
  const float keep = 1.0f - options_.dropout, scale = 1.0f / keep;
  // Indexed by the draw's outcome, not chosen by a branch: at a dropout of 0.5 the branch is
  // mispredicted every other element, and the mask is drawn on one thread while the other waits.
  const float dropped_or_kept[2] = {0.0f, scale};
  mask.resize({T, B, W});
  float* m = mask.data();
  for (int64_t t = 0; t < T; ++t) {
    rng.discard(static_cast<uint64_t>(first * W));
    for (int64_t i = 0; i < B * W; ++i) *m++ = dropped_or_kept[rng.uniform() < keep];
    rng.discard(static_cast<uint64_t>((total - first - B) * W));
  }
}

void RNN::forward(const Tensor& x, const Tensor* h0, const Tensor* c0, Tensor& y, Tensor* hN,
                  Tensor* cN, bool training, Rng* rng) {
  if (x.ndim() != 3 || x.dim(2) != options_.input_size)
    throw Error("RNN: input has shape " + x.shape_string() + ", expected [T, B, " +
                std::to_string(options_.input_size) + "]");
  if (x.dim(0) == 0 || x.dim(1) == 0) throw Error("RNN: empty input " + x.shape_string());
  forward_stack(x.data(), nullptr, nullptr, x.dim(0), x.dim(1), h0, c0, y, hN, cN, training, rng);
}

void RNN::forward_one_hot(std::span<const int32_t> ids, int64_t T, int64_t B, const Tensor* h0,
                          const Tensor* c0, Tensor& y, Tensor* hN, Tensor* cN, bool training,
                          Rng* rng) {
  check_id_count(ids.size(), T, B, "one-hot token ids");
  forward_stack(nullptr, ids.data(), nullptr, T, B, h0, c0, y, hN, cN, training, rng);
}

void RNN::check_id_count(size_t count, int64_t T, int64_t B, const char* kind) {
  if (T <= 0 || B <= 0 || static_cast<int64_t>(count) != T * B)
    throw Error("RNN: " + std::to_string(count) + " " + kind + " for " + std::to_string(T) +
                " steps x " + std::to_string(B) + " sequences");
}

bool RNN::embedded_input_suits(int64_t vocab) const {
  return layers_.front()->embedded_table_suits(vocab);
}

void RNN::forward_embedded(std::span<const int32_t> ids, const Tensor& embedding, int64_t T,
                           int64_t B, const Tensor* h0, const Tensor* c0, Tensor& y, Tensor* hN,
                           Tensor* cN) {
  check_id_count(ids.size(), T, B, "token ids");
  if (embedding.ndim() != 2 || embedding.dim(1) != options_.input_size)
    throw Error("RNN: embedding has shape " + embedding.shape_string() + ", expected [V, " +
                std::to_string(options_.input_size) + "]");
  forward_stack(nullptr, ids.data(), &embedding, T, B, h0, c0, y, hN, cN, false, nullptr);
}

void RNN::forward_stack(const float* x, const int32_t* ids, const Tensor* embedding, int64_t T,
                        int64_t B, const Tensor* h0, const Tensor* c0, Tensor& y, Tensor* hN,
                        Tensor* cN, bool training, Rng* rng) {
  const int64_t D = directions(), S = state_size();
  const int64_t L = options_.num_layers, BS = B * S, BH = B * options_.hidden_size;
  check_usable();
  check_state(h0, "h0", state_shape(B));
  check_state(c0, "c0", cell_state_shape(B));
  const bool lstm = has_cell_state(options_.cell);
  if (c0 && !lstm) throw no_cell_state_error("c0");
  steps_ = T;
  batch_ = B;
  one_hot_input_ = ids != nullptr;
  forward_only_ = embedding != nullptr;
  dropout_applied_ = training && options_.dropout > 0.0f && L > 1;
  if (dropout_applied_ && rng == nullptr) throw Error("RNN: dropout in training needs an Rng");
  y.resize({T, B, D * S});
  if (hN) hN->resize(state_shape(B));
  if (cN && lstm) cN->resize(cell_state_shape(B));

  const float* in = x;
  int64_t in_width = options_.input_size;
  for (int64_t l = 0; l < L; ++l) {
    if (l > 0 && dropout_applied_) {
      Tensor& mask = masks_[l];
      Tensor& dropped = dropped_[l];
      draw_dropout_mask(*rng, mask, T, B, in_width);
      dropped.resize({T, B, in_width});
      apply_dropout_mask(mask.numel(), in, mask.data(), dropped.data());
      in = dropped.data();
    }
    Tensor& out = l == L - 1 ? y : outputs_[l];
    out.resize({T, B, D * S});
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = l * D + d;
      const float* layer_h0 = h0 ? h0->data() + k * BS : nullptr;
      const float* layer_c0 = c0 && lstm ? c0->data() + k * BH : nullptr;
      float* layer_hN = hN ? hN->data() + k * BS : nullptr;
      float* layer_cN = cN && lstm ? cN->data() + k * BH : nullptr;
      if (l == 0 && embedding)
        layers_[k]->forward_embedded(embedding->data(), embedding->dim(0), ids, T, B, layer_h0,
                                     layer_c0, out.data() + d * S, D * S, layer_hN, layer_cN);
      else if (l == 0 && ids)
        layers_[k]->forward_one_hot(ids, T, B, layer_h0, layer_c0, out.data() + d * S, D * S,
                                    layer_hN, layer_cN);
      else
        layers_[k]->forward(in, in_width, T, B, layer_h0, layer_c0, out.data() + d * S, D * S,
                            layer_hN, layer_cN, forward_only_);
    }
    in = out.data();
    in_width = D * S;
  }
}

void RNN::backward(const Tensor& dy, const Tensor* dhN, const Tensor* dcN, Tensor* dx, Tensor* dh0,
                   Tensor* dc0, const std::function<void(const ParameterList&)>& layer_done) {
  check_usable();
  if (dcN && !has_cell_state(options_.cell)) throw no_cell_state_error("dcN");
  const int64_t T = steps_, B = batch_, D = directions(), S = state_size();
  const int64_t L = options_.num_layers, BS = B * S, BH = B * options_.hidden_size;
  if (dy.shape() != Shape{T, B, D * S})
    throw Error("RNN::backward: dy has shape " + dy.shape_string() + ", expected " +
                shape_string({T, B, D * S}));
  check_state(dhN, "dhN", state_shape(B));
  check_state(dcN, "dcN", cell_state_shape(B));
  if (forward_only_)
    throw Error("RNN::backward after forward_embedded, a forward pass that keeps no gradient path");
  if (dx && one_hot_input_)
    throw Error("RNN::backward: no input gradient (dx) after forward_one_hot: token ids have none");
  const bool lstm = has_cell_state(options_.cell);
  if (dx) dx->resize({T, B, options_.input_size});
  if (dh0) dh0->resize(state_shape(B));
  if (dc0 && lstm) dc0->resize(cell_state_shape(B));

  const float* dcur = dy.data();
  for (int64_t l = L - 1; l >= 0; --l) {
    const int64_t in_width = l == 0 ? options_.input_size : D * S;
    Tensor* dinput = l == 0 ? dx : (dcur == grad_a_.data() ? &grad_b_ : &grad_a_);
    if (dinput && l > 0) dinput->resize({T, B, in_width});
    for (int64_t d = 0; d < D; ++d) {
      const int64_t k = l * D + d;
      layers_[k]->backward(dcur + d * S, D * S, dhN ? dhN->data() + k * BS : nullptr,
                           dcN && lstm ? dcN->data() + k * BH : nullptr,
                           dinput ? dinput->data() : nullptr, in_width, d > 0,
                           dh0 ? dh0->data() + k * BS : nullptr,
                           dc0 && lstm ? dc0->data() + k * BH : nullptr);
    }
    if (layer_done) {
      ParameterList done;
      for (int64_t d = 0; d < D; ++d)
        for (Parameter* p : layers_[l * D + d]->parameters()) done.push_back(p);
      layer_done(done);
    }
    if (l > 0) {
      if (dropout_applied_) {
        apply_dropout_mask(masks_[l].numel(), dinput->data(), masks_[l].data(), dinput->data());
      }
      dcur = dinput->data();
    }
  }
}

Tensor transpose_batch_time(const Tensor& x) {
  if (x.ndim() != 3)
    throw Error("transpose_batch_time: expected 3 dimensions, got " + x.shape_string());
  const int64_t A = x.dim(0), B = x.dim(1), F = x.dim(2);
  Tensor out({B, A, F});
  for (int64_t a = 0; a < A; ++a)
    for (int64_t b = 0; b < B; ++b)
      rows::copy(1, F, x.data() + (a * B + b) * F, F, out.data() + (b * A + a) * F, F);
  return out;
}

}  // namespace rnnkit
