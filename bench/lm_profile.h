#pragma once
#include <string>
#include <vector>

#include "rnnkit/language_model.h"
#include "rnnkit/optimizer.h"

namespace rnnkit::bench {

// One part of a profiled step: median wall and CPU ms over the repetitions (CPU time, the
// process's, is what the part cost apart from waiting for a core on a shared machine) and its
// analytic GFLOP (0 for the parts without matrix products).
struct ProfiledPart {
  std::string name;
  double wall_ms = 0, cpu_ms = 0, gflop = 0;
};

// Where the time of one training step goes: the step of LanguageModel::forward_backward
// recomposed from the model's own layers (embedding, each recurrent layer, the fused output
// layer and loss, the optimiser), each part timed on its own over a few repetitions. Returns the
// parts in the order they run. Dropout between layers is left out of the recomposed step.
std::vector<ProfiledPart> profile_training_step(LanguageModel& model, const TokenBatch& batch,
                                                Optimizer& optimizer, float clip,
                                                int repetitions = 3);

// The parts added up: the step.
ProfiledPart profiled_step(const std::vector<ProfiledPart>& parts);

// A Markdown table of the parts and the step: wall and CPU ms, share of the step's CPU time,
// GFLOP, GFLOP/s (wall) and GFLOP per CPU second.
std::string profile_table(const std::vector<ProfiledPart>& parts);

}  // namespace rnnkit::bench
