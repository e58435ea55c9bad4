#pragma once
#include <string>
#include <vector>

namespace rnnkit {

// Charts of a training run's RUN_DIR/metrics.jsonl (what `rnnkit plot` draws), each as
// PREFIX*.svg and PREFIX*.png (PREFIX defaults to RUN_DIR/curves): PREFIX the loss, training and
// validation (a language model's cross-entropy, another family's own loss); PREFIX_ppl a
// language model's perplexity; PREFIX_METRIC each other numeric field of the validation records
// (accuracy; a forecaster's mae, rmse, mase). Null values (NaN or infinity) are not drawn, a step
// logged twice (a resumed run) keeps its last value, and a last line cut short by a kill is left
// out. Returns the files written, in order. Errors: a missing run directory or metrics.jsonl, a
// line that is no JSON object or lacks an integer "step", a plotted field that is no number,
// nothing to plot, a prefix refused by training_curves_prefix_fault.
std::vector<std::string> write_training_curves(const std::string& run_dir,
                                               const std::string& prefix = "");

// Why `prefix` cannot name the charts (an image's file name, which would give x.png.svg, or a
// directory, which would give a hidden .svg), or "" when it can.
std::string training_curves_prefix_fault(const std::string& prefix);

}  // namespace rnnkit
