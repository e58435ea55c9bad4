#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "rnnkit/precision.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/train_options.h"
#include "rnnkit/training_task.h"

namespace rnnkit {

struct TrainSummary {
  int64_t steps = 0;
  int64_t epochs = 0;                // completed epochs
  double last_epoch_loss = 0;        // mean training loss of the last completed epoch
  double last_epoch_perplexity = 0;  // its exp, for families whose loss is a perplexity
  double best_valid_loss = 0;        // 0 without validation
  double best_valid_perplexity = 0;  // likewise
  int stop_signal = 0;               // the signal that interrupted the run, or 0
  int64_t skipped_batches = 0;       // non-finite batches skipped under skip_nonfinite
  std::string run_dir;
  nlohmann::json last_validation;  // the fields of the last validation (null without one)
};

// The training engine: trains `task` with `options` in options.out_dir, writing last.safetensors,
// best.safetensors (after a validation that improved), state.bin (the commit point of a
// checkpoint: model, optimiser, RNG, data position and options) and metrics.jsonl.
// `family_options` (JSON) is stored in state.bin for --resume. With `resume_from` (the run's
// state.bin) the run continues exactly where it stopped. A fresh run refuses a directory that
// already holds a run. The ranks of a data-parallel run must have been given the same
// `shared_options` (JSON; an Error naming the first that differs).
TrainSummary run_training(TrainingTask& task, const EngineOptions& options, Rng& rng,
                          const nlohmann::json& family_options, const SafetensorsFile* resume_from,
                          const nlohmann::json& shared_options);

// `rnnkit train`: a language model.
TrainSummary train_language_model(const TrainOptions& options);

// The budget and threads a resumed run may change; a zero budget keeps the stored one.
struct ResumeOverrides {
  int64_t epochs = 0, steps = 0;
  double time_limit = 0;
  std::optional<int> threads = std::nullopt;  // absent: the run's own; 0: the adaptive count
};

// Continues the run in run_dir exactly, whatever its family; `family` (when not empty) must be
// the run's, so that `rnnkit seq2seq train --resume` refuses a language-model run by name.
TrainSummary resume_training(const std::string& run_dir, const ResumeOverrides& overrides,
                             const std::string& family = "");

// Receives each metrics record (the object written as one line of metrics.jsonl) of the runs
// this thread trains, right after the line is written: the Python package's train(callback=).
// An exception it throws stops the run like a failed write of the line.
using MetricsObserver = std::function<void(const nlohmann::json& record)>;

// Installs `observer` for the runs this thread trains while the scope lasts (scopes nest).
class ScopedMetricsObserver {
 public:
  explicit ScopedMetricsObserver(MetricsObserver observer);
  ~ScopedMetricsObserver();
  ScopedMetricsObserver(const ScopedMetricsObserver&) = delete;
  ScopedMetricsObserver& operator=(const ScopedMetricsObserver&) = delete;

 private:
  MetricsObserver previous_;
};

// set_num_threads and set_matmul_precision for a process that may be training on another thread
// (the Python package): an Error while a training run holds these settings, which it sets for
// itself and gives back when it ends.
void set_num_threads_between_runs(int threads);
void set_matmul_precision_between_runs(Precision precision);

// Asks a running training loop to stop after the current step and save its checkpoint; safe to
// call from a signal handler. Asked before a run starts, it stops that run after its first step;
// the request ends with the run.
void request_training_stop(int signal);
// While in scope, `request` (a signal number when set, 0 when not; a signal handler may set it)
// asks the runs this thread trains to stop after their step, as request_training_stop asks every
// run: the Python package's Ctrl-C on the main thread and a callback's KeyboardInterrupt, which
// stop the caller's run only.
class ScopedRunStop {
 public:
  explicit ScopedRunStop(const std::atomic<int>& request);
  ~ScopedRunStop();
  ScopedRunStop(const ScopedRunStop&) = delete;
  ScopedRunStop& operator=(const ScopedRunStop&) = delete;

 private:
  const std::atomic<int>* previous_;
};

}  // namespace rnnkit
