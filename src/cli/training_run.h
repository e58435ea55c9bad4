#pragma once
#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli/option_flags.h"
#include "rnnkit/trainer.h"

namespace rnnkit::cli {

// --resume RUN_DIR, the same on every training subcommand.
struct ResumeFlags {
  std::string run_dir;
};
void add_resume_flag(CLI::App& app, ResumeFlags& flags);

// Installs the SIGINT/SIGTERM handlers that make a run save and stop, then runs `fresh`, or
// resumes the run in flags.run_dir (which must be of `family`) with the budget and threads
// given on `app`'s command line. In a data-parallel job only rank 0 returns; the others exit
// (0, or 128 + the signal that stopped the run).
TrainSummary run_or_resume(const CLI::App& app, const ResumeFlags& flags, const std::string& family,
                           const EngineOptions& given, const std::function<TrainSummary()>& fresh);

// run_or_resume for a family's `train` command: a fresh run is train(options), told which of its
// options this command line gives (options.given).
template <class Options>
TrainSummary train_from_command_line(const CLI::App& app, const ResumeFlags& flags,
                                     const std::string& family, Options& options,
                                     TrainSummary (*train)(const Options&)) {
  options.given = given_options(app, Options::table());
  return run_or_resume(app, flags, family, options, [&] { return train(options); });
}

// "steps S, epochs E; model: RUN/last.safetensors (best: RUN/best.safetensors)"
void print_run_files(const TrainSummary& s);

// After a signal: says how to resume and exits with 128 + the signal.
void exit_if_interrupted(const TrainSummary& s, const std::string& command);

}  // namespace rnnkit::cli
