#pragma once
#include <initializer_list>
#include <string>
#include <utility>

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
  require_utf8_strings(options, Options::table());
  auto require = [](const RequiredOption& r) {
    if (r.value.empty()) throw Error(std::string(r.flag) + " is required");
  };
  require({options.data, "--data FILE"});
  for (const RequiredOption& r : also_required) require(r);
  require({options.out_dir, "--out RUN_DIR"});
}

// The options every rank of a data-parallel run must be given alike: all but each rank's threads
// and run directory (rank 0 writes it) and the data group's names (each rank's paths to the same
// files, the columns it reads), whose effect the ranks compare by the data's checksum instead.
template <class Options>
nlohmann::json options_every_rank_shares(const Options& o) {
  nlohmann::json shared = nlohmann::json::object();
  for (const OptionSpec<Options>& s : Options::table()) {
    const bool own = s.key == "threads" || s.key == "out_dir" ||
                     (s.group == "Data" && s.check.choices.empty() &&
                      std::holds_alternative<std::string Options::*>(s.field));
    if (!own) std::visit([&](auto member) { shared[s.key] = o.*member; }, s.field);
  }
  return shared;
}

// Refuses values that would change nothing in the run (an option given must do something),
// against the family's own defaults: sampling in a family that cannot sample (or a sample length
// with no samples), dropout with no layer above another (it acts between layers, as
// torch.nn.LSTM's), momentum with Adam, and Adam's betas and epsilon with SGD.
template <class Options>
void refuse_options_without_effect(const Options& o, bool samples) {
  const Options d{};
  if (!samples && (o.sample_every != d.sample_every || o.sample_length != d.sample_length))
    throw Error(
        "--sample-every and --sample-length print text samples of a language model while it "
        "trains; this model family has none");
  if (o.sample_every == 0 && o.sample_length != d.sample_length)
    throw Error("--sample-length without --sample-every: no sample is printed");
  if (o.dropout > 0 && o.layers < 2)
    throw Error("--dropout acts between stacked layers: with --layers 1 it would do nothing");
  if (o.optimizer != "sgd" && o.momentum != d.momentum)
    throw Error("--momentum is SGD's (--optimizer sgd); --optimizer " + o.optimizer +
                " has --beta1 instead");
  if (o.optimizer == "sgd" && (o.beta1 != d.beta1 || o.beta2 != d.beta2 || o.eps != d.eps))
    throw Error("--beta1, --beta2 and --eps are Adam's; --optimizer sgd does not use them");
  if constexpr (requires { o.valid; }) {
    // A held-out file replaces the split of --data: its share and seed would do nothing.
    for (const auto& [key, flag] :
         {std::pair{"valid_fraction", "--valid-fraction"}, std::pair{"split_seed", "--split-seed"}})
      if (!o.valid.empty() && option_given(o, key))
        throw Error(std::string(flag) + " splits --data, which --valid " + o.valid +
                    " replaces as the held-out data: give one of them");
  }
}

// Validates a family's options, builds its task from the run's Rng (fresh, or from `state` when
// resuming) and trains it on the engine. A resumed run keeps the options it started with, so the
// options without effect are refused on a fresh start only (a run of an older rnnkit resumes).
// The first collective of a data-parallel run: every rank starts a fresh run, or every rank
// resumes one. Ranks given other commands (--resume on some) would otherwise wait in different
// collectives for ever; each names the rank that differs instead. Nothing in one process.
void agree_on_how_the_ranks_start(bool resuming);

template <class Task, class Options>
TrainSummary train_family(const Options& options, const SafetensorsFile* state) {
  if (!state) agree_on_how_the_ranks_start(false);
  options.validate();
  if (!state)
    refuse_options_without_effect(
        options, requires { Options::kTextSamples; });
  Rng rng(options.seed);
  Task task(options, rng, state);
  return run_training(task, options, rng, options_to_json(options, Options::table()), state,
                      options_every_rank_shares(options));
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
