#include "rnnkit/language_model.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "models/output_layer_chunks.h"
#include "rnnkit/checkpoint.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/stack_config.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

const LMConfig& validated(const LMConfig& c) {
  c.validate();
  return c;
}

RNNOptions rnn_options(const LMConfig& c) {
  return {c.cell,          c.embedding_dim ? c.embedding_dim : c.vocab_size,
          c.hidden_size,   c.num_layers,
          c.bidirectional, c.dropout,
          c.proj_size};
}

// Workspaces of the output layer's gathered rows, kept from step to step.
struct OutputWorkspace {
  Tensor features, dfeatures;
  std::vector<int32_t> targets;
  std::vector<int64_t> rows;
};

OutputWorkspace& output_workspace() {
  thread_local OutputWorkspace workspace;
  return workspace;
}

}  // namespace

void LMConfig::validate() const {
  validate_stack(*this, false);
  if (proj_size < 0 || proj_size >= hidden_size)
    throw Error("proj_size must be in [0, hidden_size) (0 = none), got " +
                std::to_string(proj_size) + " with hidden_size " + std::to_string(hidden_size));
  if (proj_size && !supports_projection(cell))
    throw Error("proj_size " + std::to_string(proj_size) + " needs the lstm cell, not " +
                cell_kind_name(cell));
  const int64_t out = (proj_size ? proj_size : hidden_size) * (bidirectional ? 2 : 1);
  if (tie_weights && embedding_dim != out)
    throw Error("tie_weights needs embedding_dim (" + std::to_string(embedding_dim) +
                ") equal to the RNN output size (" + std::to_string(out) + ")");
}

std::string LMConfig::to_json() const {
  nlohmann::json j = stack_to_json(*this);
  j["tie_weights"] = tie_weights;
  j["proj_size"] = proj_size;
  return j.dump();
}

LMConfig LMConfig::from_json(const std::string& text) {
  const ConfigReader r(text, "model config");
  LMConfig c;
  read_stack(r, c, false);
  c.proj_size = r.integer("proj_size", 0, false);
  c.tie_weights = r.boolean("tie_weights");
  r.refuse_unknown_keys(c.to_json());
  c.validate();
  return c;
}

LanguageModel::LanguageModel(const LMConfig& config)
    : config_(validated(config)),
      embedding_(config.embedding_dim
                     ? std::make_unique<Embedding>(config.vocab_size, config.embedding_dim)
                     : nullptr),
      rnn_(rnn_options(config)),
      fc_(rnn_.output_size(), config.vocab_size, "fc",
          config.tie_weights ? &embedding_->weight : nullptr) {
  if (config_.int8_weights) {
    for (int64_t l = 0; l < config_.num_layers; ++l)
      for (int64_t d = 0; d < rnn_.directions(); ++d) rnn_.layer(l, d).read_int8_weights();
    fc_.read_int8_weights();
  }
}

ParameterList LanguageModel::parameters() {
  ParameterList params;
  if (embedding_) params.push_back(&embedding_->weight);
  for (Parameter* p : rnn_.parameters()) params.push_back(p);
  for (Parameter* p : fc_.parameters()) params.push_back(p);
  return params;
}

int64_t LanguageModel::parameter_count() {
  int64_t n = 0;
  for (Parameter* p : parameters()) n += p->value.numel();
  return n;
}

void LanguageModel::reset_parameters(Rng& rng) {
  if (embedding_) embedding_->reset_parameters(rng);
  rnn_.reset_parameters(rng);
  fc_.reset_parameters(rng);
}

void LanguageModel::rnn_forward(std::span<const int32_t> ids, int64_t T, int64_t B,
                                const LMState& state, bool training, bool backward, Rng* rng) {
  const bool lstm = has_cell_state(config_.cell);
  const Tensor* h0 = initial(state.h, rnn_.state_shape(B));
  const Tensor* c0 = lstm ? initial(state.c, rnn_.cell_state_shape(B)) : nullptr;
  Tensor* cN = lstm ? &cN_ : nullptr;
  if (!embedding_) {
    rnn_.forward_one_hot(ids, T, B, h0, c0, y_, &hN_, cN, training, rng);
    return;
  }
  // Without a backward pass the first layer reads each token's gate input from a table of the
  // vocabulary (RNN::forward_embedded), which no dropout comes before.
  if (!backward && rnn_.embedded_input_suits(config_.vocab_size)) {
    rnn_.forward_embedded(ids, embedding_->weight.value, T, B, h0, c0, y_, &hN_, cN);
    return;
  }
  x_.resize({T, B, config_.embedding_dim});
  embedding_->forward(ids, x_.data());
  rnn_.forward(x_, h0, c0, y_, &hN_, cN, training, rng);
}

const Tensor* LanguageModel::initial(const Tensor& s, const Shape& expected) const {
  if (s.empty()) return nullptr;
  if (s.shape() != expected)
    throw Error("recurrent state has shape " + s.shape_string() + " but the batch needs " +
                shape_string(expected));
  return &s;
}

void LanguageModel::set_data_parallel(const BatchShard& shard, GradientSink* sink) {
  rnn_.set_batch_shard(shard);
  gradient_sink_ = sink;
}

LossResult LanguageModel::forward_backward(const TokenBatch& batch, LMState& state, bool training,
                                           bool backward, Rng* rng, const StateGradients& edges) {
  const int64_t T = batch.steps, B = batch.batch, N = T * B, F = rnn_.output_size();
  if (T <= 0 || B <= 0 || static_cast<int64_t>(batch.inputs.size()) != N ||
      static_cast<int64_t>(batch.targets.size()) != N)
    throw Error("malformed batch: " + std::to_string(T) + " steps x " + std::to_string(B) +
                " streams with " + std::to_string(batch.inputs.size()) + " inputs and " +
                std::to_string(batch.targets.size()) + " targets");
  adapt_threads_to_load();
  rnn_forward(batch.inputs, T, B, state, training, backward, rng);
  const bool lstm = has_cell_state(config_.cell);

  int64_t counted = 0;
  for (int32_t t : batch.targets) counted += t != kIgnoreIndex;
  const float scale = counted ? 1.0f / static_cast<float>(counted) : 0.0f;
  if (backward) dy_.resize({T, B, F});

  LossResult result;
  if (counted == N) {
    result = OutputLayerChunks(fc_, y_.data(), N, batch.targets.data(), scale,
                               backward ? dy_.data() : nullptr, logits_)
                 .run();
  } else {
    // Padding rows (ignore_index targets) need no logits: the output layer runs on the other
    // rows, gathered, and the padding rows get a zero gradient.
    OutputWorkspace& ws = output_workspace();
    ws.rows.clear();
    ws.targets.clear();
    for (int64_t r = 0; r < N; ++r) {
      if (batch.targets[r] == kIgnoreIndex) continue;
      ws.rows.push_back(r);
      ws.targets.push_back(batch.targets[r]);
    }
    ws.features.resize({counted, F});
    for (int64_t k = 0; k < counted; ++k)
      rows::copy(1, F, y_.data() + ws.rows[k] * F, F, ws.features.data() + k * F, F);
    if (backward) ws.dfeatures.resize({counted, F});
    result = OutputLayerChunks(fc_, ws.features.data(), counted, ws.targets.data(), scale,
                               backward ? ws.dfeatures.data() : nullptr, logits_)
                 .run();
    if (backward) {
      dy_.zero();
      for (int64_t k = 0; k < counted; ++k)
        rows::copy(1, F, ws.dfeatures.data() + k * F, F, dy_.data() + ws.rows[k] * F, F);
    }
  }

  state.h = hN_;
  if (lstm) state.c = cN_;
  if (backward) {
    // The output layer's gradients are final first (a tied weight only after the embedding's).
    const GradientReport report{gradient_sink_, counted};
    report(fc_.parameters());
    rnn_.backward(dy_, edges.dhN, lstm ? edges.dcN : nullptr, embedding_ ? &dx_ : nullptr,
                  edges.dh0, lstm ? edges.dc0 : nullptr, report);
    if (embedding_) {
      embedding_->backward(batch.inputs, dx_.data());
      report({&embedding_->weight});
    }
  }
  return result;
}

void LanguageModel::check_can_step() const {
  if (config_.bidirectional)
    throw Error(
        "a bidirectional model cannot generate text: its reverse direction reads a text from its "
        "end, which a continuation does not have yet (eval measures its perplexity)");
}

void LanguageModel::step(std::span<const int32_t> ids, LMState& state, Tensor& logits) {
  check_can_step();
  adapt_threads_to_load();
  const int64_t B = static_cast<int64_t>(ids.size());
  rnn_forward(ids, 1, B, state, false, false, nullptr);
  const bool lstm = has_cell_state(config_.cell);
  logits.resize({B, config_.vocab_size});
  fc_.forward(y_.data(), rnn_.output_size(), B, logits.data(), config_.vocab_size);
  state.h = hN_;
  if (lstm) state.c = cN_;
}

std::vector<std::pair<std::string, Tensor*>> LanguageModel::named_tensors() {
  std::vector<std::pair<std::string, Tensor*>> tensors;
  if (embedding_) tensors.emplace_back(embedding_->weight.name, &embedding_->weight.value);
  for (Parameter* p : rnn_.parameters()) tensors.emplace_back(p->name, &p->value);
  tensors.emplace_back("fc.weight", &fc_.weight().value);
  tensors.emplace_back(fc_.bias.name, &fc_.bias.value);
  return tensors;
}

std::vector<std::pair<std::string, const Tensor*>> LanguageModel::state_dict() {
  auto named = named_tensors();
  return {named.begin(), named.end()};
}

std::vector<std::pair<std::string, const Tensor*>> LanguageModel::stored_state_dict() {
  auto tensors = state_dict();
  if (config_.tie_weights)
    std::erase_if(tensors, [](const auto& named) { return named.first == "fc.weight"; });
  return tensors;
}

void LanguageModel::load_state_dict(const std::map<std::string, Tensor>& tensors) {
  auto expected = named_tensors();
  if (config_.tie_weights) {
    // fc.weight is the embedding's tensor: a file may store it once (docs/FORMAT.md) or twice.
    auto e = tensors.find("embedding.weight"), f = tensors.find("fc.weight");
    if (f == tensors.end())
      std::erase_if(expected, [](const auto& named) { return named.first == "fc.weight"; });
    else if (e != tensors.end() && e->second.shape() == f->second.shape() &&
             !std::equal(e->second.span().begin(), e->second.span().end(),
                         f->second.span().begin()))
      throw Error("tie_weights is set but fc.weight differs from embedding.weight");
  }
  load_state_dict_strict(expected, tensors);
  note_weights_changed();
}

}  // namespace rnnkit
