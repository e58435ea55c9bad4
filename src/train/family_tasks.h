#pragma once
#include <initializer_list>
#include <string>

#include "rnnkit/classifier_training.h"
#include "rnnkit/error.h"
#include "rnnkit/forecast_training.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/seq2seq_training.h"
#include "rnnkit/trainer.h"

namespace rnnkit {

// A flag a family cannot train without: its value, and the flag with its placeholder as the
// message names it ("--target COLUMN").
struct RequiredOption {
  const std::string& value;
  const char* flag;
};

// Every family's validate(): its option table, then --data, `also_required` and --out given.
template <class Options>
void validate_family_options(const Options& options,
                             std::initializer_list<RequiredOption> also_required = {}) {
  validate_options(options, Options::table());
  auto require = [](const RequiredOption& r) {
    if (r.value.empty()) throw Error(std::string(r.flag) + " is required");
  };
  require({options.data, "--data FILE"});
  for (const RequiredOption& r : also_required) require(r);
  require({options.out_dir, "--out RUN_DIR"});
}

// Validates a family's options, builds its task from the run's Rng (fresh, or from `state` when
// resuming) and trains it on the engine.
template <class Task, class Options>
TrainSummary train_family(const Options& options, const SafetensorsFile* state) {
  options.validate();
  Rng rng(options.seed);
  Task task(options, rng, state);
  return run_training(task, options, rng, options_to_json(options, Options::table()), state);
}

// Each family's run: fresh (state null) or resumed from its state.bin. Adding a family is its
// task file plus one line in resume.cpp.
TrainSummary train_language_model_from(const TrainOptions& options, const SafetensorsFile* state);
TrainSummary train_seq2seq_from(const Seq2seqTrainOptions& options, const SafetensorsFile* state);
TrainSummary train_classifier_from(const ClassifierTrainOptions& options,
                                   const SafetensorsFile* state);
TrainSummary train_forecaster_from(const ForecastTrainOptions& options,
                                   const SafetensorsFile* state);

}  // namespace rnnkit
