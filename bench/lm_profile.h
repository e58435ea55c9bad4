#pragma once
#include <string>
#include <vector>

#include "rnnkit/language_model.h"
#include "rnnkit/optimizer.h"

namespace rnnkit::bench {

// What a part of a step must do at least, counted from the shapes: the GFLOP of its matrix
// products (0 for the parts without any) and the GB it must move, each operand read once and each
// result written once (a gradient that is accumulated, read and written).
struct PartCost {
  double gflop = 0, gbyte = 0;
};

// One part of a profiled step: median wall and CPU ms over the repetitions (CPU time, the
// process's, is what the part cost apart from waiting for a core on a shared machine) and its
// analytic cost.
struct ProfiledPart {
  std::string name;
  double wall_ms = 0, cpu_ms = 0;
  PartCost cost;
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
// GFLOP, GFLOP/s (wall), GFLOP per CPU second, GB and GB/s (wall).
std::string profile_table(const std::vector<ProfiledPart>& parts);

}  // namespace rnnkit::bench
