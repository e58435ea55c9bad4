#pragma once
#include <string>

#include "rnnkit/train_options.h"

namespace rnnkit {

struct TrainSummary {
  int64_t steps = 0;
  int64_t epochs = 0;                // completed epochs
  double last_epoch_perplexity = 0;  // training perplexity of the last completed epoch
  double best_valid_perplexity = 0;  // 0 without validation
  int stop_signal = 0;               // the signal that interrupted the run, or 0
  int64_t skipped_batches = 0;       // non-finite batches skipped under skip_nonfinite
};

// Runs `rnnkit train`: a fresh run from `options`, or, when resume_dir is set, the run saved
// there continued exactly (options, model, optimiser, RNG, data position and carried state come
// from its state.bin; a budget in `budget` > 0 replaces the stored one).
TrainSummary train_language_model(const TrainOptions& options);
TrainSummary resume_training(const std::string& run_dir, const TrainOptions& budget);

// Asks a running training loop to stop after the current step and save its checkpoint; safe to
// call from a signal handler.
void request_training_stop(int signal);

}  // namespace rnnkit
