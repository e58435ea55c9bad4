#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "rnnkit/training_curves.h"

namespace rnnkit::cli {
namespace {

struct Options {
  std::string run_dir;
  std::string out;
};

void setup_plot(CLI::App& app) {
  auto options = std::make_shared<Options>();
  app.add_option("RUN_DIR", options->run_dir, "Run directory holding metrics.jsonl")->required();
  app.add_option("--out", options->out,
                 "Output prefix: writes PREFIX.svg/.png (loss), PREFIX_ppl.svg/.png (a language "
                 "model's perplexity) and PREFIX_METRIC.svg/.png for each other validation "
                 "metric (accuracy, mae, ...) (default RUN_DIR/curves)")
      ->type_name("PREFIX")
      ->check(training_curves_prefix_fault);
  app.callback([options] {
    for (const std::string& path : write_training_curves(options->run_dir, options->out))
      std::cout << "wrote " << path << "\n";
  });
}

const Registration registration({"plot",
                                 "Draw training and validation curves of a run to SVG and PNG",
                                 setup_plot});

}  // namespace
}  // namespace rnnkit::cli
