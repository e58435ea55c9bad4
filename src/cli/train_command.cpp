#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/option_flags.h"
#include "cli/training_run.h"
#include "rnnkit/trainer.h"

namespace rnnkit::cli {
namespace {

void print_summary(const TrainSummary& s) {
  std::printf("steps %lld, epochs %lld", static_cast<long long>(s.steps),
              static_cast<long long>(s.epochs));
  if (s.last_epoch_perplexity > 0)
    std::printf(", last epoch training perplexity %.4f", s.last_epoch_perplexity);
  if (s.best_valid_perplexity > 0)
    std::printf(", best validation perplexity %.4f", s.best_valid_perplexity);
  if (s.skipped_batches)
    std::printf(", %lld non-finite batches skipped", static_cast<long long>(s.skipped_batches));
  std::printf(
      "\nmodel: %s/last.safetensors%s\n", s.run_dir.c_str(),
      s.best_valid_perplexity > 0 ? (" (best: " + s.run_dir + "/best.safetensors)").c_str() : "");
}

void setup_train(CLI::App& app) {
  auto options = std::make_shared<TrainOptions>();
  auto resume = std::make_shared<ResumeFlags>();
  // A later occurrence of an option overrides an earlier one, so scripts can append overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  add_option_table(app, *options, TrainOptions::table());
  add_resume_flag(app, *resume);
  app.callback([&app, options, resume] {
    const TrainSummary s =
        train_from_command_line(app, *resume, "lm", *options, &train_language_model);
    print_summary(s);
    exit_if_interrupted(s, "train");
  });
}

const Registration registration({"train", "Train a language model on text or Tang poems",
                                 setup_train});

}  // namespace
}  // namespace rnnkit::cli
