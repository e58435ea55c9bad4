#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnkit/batch_shard.h"
#include "rnnkit/checkpoint.h"
#include "rnnkit/communicator.h"
#include "rnnkit/gradient_sink.h"
#include "rnnkit/language_model.h"
#include "rnnkit/parameter.h"
#include "rnnkit/rng.h"
#include "rnnkit/safetensors.h"

namespace rnnkit {

// A held-out evaluation: `loss` (lower is better) picks best.safetensors and drives plateau
// schedules; `fields` go into metrics.jsonl; `summary` is the progress message.
struct ValidationResult {
  double loss = 0;
  nlohmann::json fields;
  std::string summary;
};

// A task's place in data-parallel training (docs/DISTRIBUTED.md): one process, or the rank-th
// of several that each train a contiguous share of every batch.
struct DataParallel {
  Communicator* world = nullptr;  // null: one process
  GradientSink* sink = nullptr;   // where backward passes report finished gradients
  int rank() const { return world ? world->rank() : 0; }
  int ranks() const { return world ? world->size() : 1; }
  bool active() const { return ranks() > 1; }
  // This rank's contiguous share [first, first + count) of n items; the first n % ranks ranks
  // take one more, so rank 0's share is empty only when n is 0.
  struct Share {
    int64_t first = 0, count = 0;
  };
  Share share(int64_t n) const;
  // The shard of a batch of n columns, for the model's dropout.
  BatchShard shard(int64_t n) const { return {share(n).first, n}; }
  // Element-wise sums over the ranks, in place.
  void sum(std::span<double> values) const {
    if (world) world->allreduce_sum(values);
  }
};

// A model family as the training engine (trainer.h) sees it: its data and batches, the loss and
// gradients of a batch, validation, and what its files hold. The engine owns everything else:
// the optimiser and its schedule, clipping, budgets, the progress line, metrics.jsonl,
// checkpoints, signals and exact resume. Every random number a task draws comes from the engine's
// Rng, so that one saved state replays the run.
class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  // Set once, before the first batch, by an engine of several processes: train_next() then
  // trains this rank's share of each batch (reporting gradients to parallel.sink), validate()
  // may share its work, and position() describes the whole batch on every rank.
  void set_data_parallel(const DataParallel& parallel) { parallel_ = parallel; }
  // A checksum of the training data and vocabulary, which ranks compare before training.
  virtual uint64_t data_fingerprint() = 0;
  // Collects what position_tensors() returns from the ranks; every rank calls it before a
  // checkpoint (rank 0 writes it).
  virtual void gather_position() {}

  // "lm", "seq2seq" or "classify": recorded in state.bin, so that --resume rebuilds this task.
  virtual std::string family() const = 0;
  virtual ParameterList parameters() = 0;
  // Tensors under the names of the model file (PyTorch's state_dict names).
  virtual StateDict state_dict() = 0;
  virtual void load_state_dict(const std::map<std::string, Tensor>& tensors) = 0;
  // The metadata that rebuilds the model: configuration, vocabulary, labels.
  virtual std::map<std::string, std::string> model_metadata() = 0;
  // Writes the model file (atomically) with `extra` metadata beside the model's own.
  virtual void save_model(const std::string& path, const std::map<std::string, std::string>& extra,
                          DType dtype) = 0;

  // The first progress line's facts ("vocabulary 28, 571 batches per epoch").
  virtual std::string description() = 0;
  virtual int64_t batches_per_epoch() const = 0;
  // Forward and backward of the epoch's next batch, gradients accumulated into zeroed
  // parameters; false, doing nothing, when the epoch has no batch left.
  virtual bool train_next(Rng& rng, LossResult& loss) = 0;
  // Whether the epoch has no batch left (train_next would return false): the engine closes an
  // epoch as its last batch ends, so that a budget ending there still counts and validates it.
  virtual bool epoch_done() const = 0;
  // After a batch whose update was skipped (non-finite): forget any carried state.
  virtual void after_skipped_batch() {}
  // Moves on to the next epoch's batches (drawing their order from rng where they are shuffled).
  virtual void start_epoch(Rng& rng) = 0;
  // True when the loss is a mean per-token cross-entropy, whose exp is a perplexity.
  virtual bool loss_is_perplexity() const { return false; }
  // Nothing when there is no held-out data.
  virtual std::optional<ValidationResult> validate() = 0;
  // A sample of `length` tokens from the current model (for --sample-every), drawn from its own
  // generator seeded with `seed` so that the training's random stream is untouched; empty when
  // the family cannot sample.
  virtual std::string sample(int64_t /*length*/, uint64_t /*seed*/) { return {}; }

  // The data position an exact resume needs (JSON), with any carried tensors.
  virtual nlohmann::json position() = 0;
  virtual std::vector<std::pair<std::string, const Tensor*>> position_tensors() { return {}; }
  // Restores position() (validated: an Error names what is wrong); may use rng, whose state the
  // engine restores afterwards.
  virtual void restore_position(const nlohmann::json& position,
                                const std::map<std::string, Tensor>& tensors, Rng& rng) = 0;

 protected:
  DataParallel parallel_;
};

}  // namespace rnnkit
