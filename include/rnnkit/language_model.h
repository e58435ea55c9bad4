#pragma once
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "rnnkit/cell_kind.h"
#include "rnnkit/embedding.h"
#include "rnnkit/gradient_sink.h"
#include "rnnkit/linear.h"
#include "rnnkit/rnn.h"
#include "rnnkit/token_batch.h"

namespace rnnkit {

// The model of DESIGN.md: [embedding or one-hot] -> RNN stack -> linear over the vocabulary.
struct LMConfig {
  CellKind cell = CellKind::Lstm;
  int64_t vocab_size = 0;
  int64_t embedding_dim = 0;  // 0: one-hot input
  int64_t hidden_size = 0;
  int64_t num_layers = 1;
  bool bidirectional = false;
  float dropout = 0.0f;
  bool tie_weights = false;  // fc.weight is embedding.weight; needs embedding_dim == output size
  int64_t proj_size = 0;     // LSTM with projections: h is proj_size wide (0 = none)
  // The batch-1 products read the weight matrices as int8 with per-row scales: a model loaded
  // from a quantized file (docs/FORMAT.md), whose float32 weights are the dequantized ones. Not
  // part of rnnkit.config (the file's rnnkit.quantization says it); copies made from config()
  // keep it.
  bool int8_weights = false;

  void validate() const;  // Error naming the impossible setting
  std::string to_json() const;
  static LMConfig from_json(const std::string& json);
};

// Recurrent state carried between batches (truncated BPTT) or generation steps; empty tensors
// mean zeros.
struct LMState {
  Tensor h, c;
  void reset() {
    h = Tensor();
    c = Tensor();
  }
};

// Gradients flowing through the state at the edges of a batch: optional seeds for the final
// state (dhN, dcN) and optional outputs for the initial state (dh0, dc0).
struct StateGradients {
  const Tensor* dhN = nullptr;
  const Tensor* dcN = nullptr;
  Tensor* dh0 = nullptr;
  Tensor* dc0 = nullptr;
};

struct LossResult {
  double loss_sum = 0;
  int64_t count = 0;
  double mean() const { return count ? loss_sum / count : 0.0; }
};

class LanguageModel {
 public:
  explicit LanguageModel(const LMConfig& config);

  const LMConfig& config() const { return config_; }
  // Trainable parameters, each once (a tied output weight is the embedding's).
  ParameterList parameters();
  int64_t parameter_count();
  void reset_parameters(Rng& rng);
  Embedding* embedding() { return embedding_.get(); }
  RNN& rnn() { return rnn_; }
  Linear& fc() { return fc_; }

  // Mean cross-entropy of batch.targets given batch.inputs, starting from `state` and leaving
  // the final state there (detached: gradients stop at the batch edge unless `edges` asks).
  // backward accumulates the gradient of the mean loss into the parameters. The output layer
  // and the loss run fused in row chunks, so the [T*B, V] logits are never stored whole.
  LossResult forward_backward(const TokenBatch& batch, LMState& state, bool training, bool backward,
                              Rng* rng, const StateGradients& edges = {});

  // Logits [B,V] of the next token after feeding one token per sequence; advances `state`.
  // Error (check_can_step) for a bidirectional model (every generation path takes its steps here).
  void step(std::span<const int32_t> ids, LMState& state, Tensor& logits);
  // Error for a bidirectional model: its reverse direction reads a text from its end, which a
  // continuation does not have yet, so no step of it predicts the next token. Generation checks
  // it before its first step, so that a server refuses such a request before a stream starts.
  void check_can_step() const;

  // Tensors under their PyTorch state_dict names; with tied weights both embedding.weight and
  // fc.weight appear (the same values), as PyTorch's state_dict has both keys.
  std::vector<std::pair<std::string, const Tensor*>> state_dict();
  // The tensors a model file stores: state_dict() without fc.weight when it is the embedding
  // (tie_weights), so the shared matrix is written once (as safetensors' PyTorch helpers store
  // shared tensors); load_state_dict() ties it again.
  std::vector<std::pair<std::string, const Tensor*>> stored_state_dict();
  // Strict load: a missing, unexpected or misshapen tensor is an Error naming it.
  void load_state_dict(const std::map<std::string, Tensor>& tensors);

  // Data-parallel training (docs/DISTRIBUTED.md): where the next batches sit in the global
  // batch (dropout), and the sink the backward pass reports finished gradients to (or null).
  void set_data_parallel(const BatchShard& shard, GradientSink* sink);

 private:
  // y_, hN_, cN_ of the RNN over T*B token ids from `state`: embedded, or one-hot (the RNN's
  // first layer gathers its input weights' columns; ids stay alive until backward). Without a
  // backward pass to follow, embedded ids go through RNN::forward_embedded where it suits.
  void rnn_forward(std::span<const int32_t> ids, int64_t T, int64_t B, const LMState& state,
                   bool training, bool backward, Rng* rng);
  const Tensor* initial(const Tensor& s, const Shape& expected) const;
  std::vector<std::pair<std::string, Tensor*>> named_tensors();

  LMConfig config_;
  std::unique_ptr<Embedding> embedding_;
  RNN rnn_;
  Linear fc_;
  GradientSink* gradient_sink_ = nullptr;
  Tensor x_, y_, dy_, dx_, hN_, cN_, logits_;
};

}  // namespace rnnkit
