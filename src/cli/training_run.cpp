#include "cli/training_run.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include <pthread.h>

#include "rnnkit/communicator.h"
#include "rnnkit/error.h"

namespace rnnkit::cli {
namespace {

// SIGINT, SIGTERM and SIGHUP are blocked in every thread of the run and taken by a thread of their
// own (sigwait), which asks the engine to stop: no thread is interrupted by a handler. Where a
// handler ran on whichever thread the kernel picked, SIGTERM to rank 0 of a data-parallel run
// with several gradient buckets aborted it with a corrupted heap, before or after its last
// checkpoint (MPI's and OpenMP's threads, and the gradient reducer's, started after this
// inherit the mask).
// SIGHUP (the terminal or the ssh connection gone) stops a run as SIGTERM does, unless it is
// ignored (nohup), which it stays. SIGINT is taken even when inherited as ignored: a shell
// without job control ignores it for its background commands, and a stop with a checkpoint
// loses nothing, where a `kill -INT` that did nothing would leave the run to be killed. SIGPIPE is
// ignored: a reader that is gone (`| tee log` ended by the same Ctrl-C, `| head`) would otherwise
// kill the run at its next progress line, before the checkpoint its stop writes; the lines then go
// nowhere and the run trains on.
void take_stop_signals_in_a_thread_of_their_own() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stops;
  sigemptyset(&stops);
  sigaddset(&stops, SIGINT);
  sigaddset(&stops, SIGTERM);
  struct sigaction hangup {};
  if (sigaction(SIGHUP, nullptr, &hangup) == 0 && hangup.sa_handler != SIG_IGN)
    sigaddset(&stops, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stops, nullptr);
  std::thread([stops] {
    for (int signal = 0; sigwait(&stops, &signal) == 0;) request_training_stop(signal);
  }).detach();
}

}  // namespace

void add_resume_flag(CLI::App& app, ResumeFlags& flags) {
  app.add_option(
         "--resume", flags.run_dir,
         "continue the run in this directory exactly where it stopped (its stored "
         "options; --epochs/--steps/--time and --threads may be given anew, no other option)")
      ->group("Run");
}

// A resumed run keeps the options stored in its directory: any other option given with --resume
// would be silently ignored, so it is an error instead.
static void refuse_options_resume_ignores(const CLI::App& app, const std::string& run_dir) {
  constexpr const char* kTakenAnew[] = {"--resume", "--epochs", "--steps", "--time", "--threads"};
  for (const CLI::Option* option : app.get_options()) {
    if (option->count() == 0) continue;
    if (std::any_of(std::begin(kTakenAnew), std::end(kTakenAnew),
                    [&](const char* name) { return option->check_name(name); }))
      continue;
    throw Error(option->get_name() + " cannot be given with --resume: the run continues with " +
                "the options stored in " + run_dir +
                "; only --epochs, --steps, --time and --threads may be given anew");
  }
}

static TrainSummary train_or_resume(const CLI::App& app, const ResumeFlags& flags,
                                    const std::string& family, const EngineOptions& given,
                                    const std::function<TrainSummary()>& fresh) {
  if (flags.run_dir.empty()) return fresh();
  refuse_options_resume_ignores(app, flags.run_dir);
  ResumeOverrides overrides;
  // A budget given anew replaces the stored one whole (what is not given is then no limit, not
  // the family's default: as the Python package's train(resume=) has it).
  if (app.count("--epochs") || app.count("--steps") || app.count("--time")) {
    validate_options(static_cast<const BudgetOptions&>(given), BudgetOptions::table());
    overrides.epochs = app.count("--epochs") ? given.epochs : 0;
    overrides.steps = app.count("--steps") ? given.steps : 0;
    overrides.time_limit = app.count("--time") ? given.time_limit : 0;
  }
  if (app.count("--threads")) overrides.threads = given.threads;
  return resume_training(flags.run_dir, overrides, family);
}

TrainSummary run_or_resume(const CLI::App& app, const ResumeFlags& flags, const std::string& family,
                           const EngineOptions& given, const std::function<TrainSummary()>& fresh) {
  take_stop_signals_in_a_thread_of_their_own();
  const TrainSummary s = train_or_resume(app, flags, family, given, fresh);
  // Rank 0 reports a data-parallel run; the other ranks end here.
  if (distributed() && world().rank() != 0) std::exit(s.stop_signal ? 128 + s.stop_signal : 0);
  return s;
}

void print_run_files(const TrainSummary& s) {
  // A run without a validation (none held out, or a budget that ended before the first) has no
  // best model.
  const std::string best = s.run_dir + "/best.safetensors";
  std::printf("steps %lld, epochs %lld; model: %s/last.safetensors%s\n",
              static_cast<long long>(s.steps), static_cast<long long>(s.epochs), s.run_dir.c_str(),
              std::filesystem::exists(best) ? (" (best: " + best + ")").c_str() : "");
}

void exit_if_interrupted(const TrainSummary& s, const std::string& command) {
  if (!s.stop_signal) return;
  std::printf("interrupted; resume with: rnnkit %s --resume %s\n", command.c_str(),
              s.run_dir.c_str());
  std::fflush(stdout);
  std::exit(128 + s.stop_signal);
}

}  // namespace rnnkit::cli
