#pragma once
#include <string>

#include "rnnkit/language_model.h"
#include "rnnkit/optimizer.h"

namespace rnnkit::bench {

// Where the time of one training step goes: the step of LanguageModel::forward_backward
// recomposed from the model's own layers (embedding, each recurrent layer, the fused output
// layer and loss, the optimiser), each part timed on its own over a few repetitions. Returns a
// Markdown table: median wall and CPU ms per part (CPU time, the process's, is what the part
// cost apart from waiting for a core on a shared machine), share of the step's CPU time,
// analytic GFLOP and GFLOP/s. Dropout between layers is left out of the recomposed step.
std::string profile_training_step(LanguageModel& model, const TokenBatch& batch,
                                  Optimizer& optimizer, float clip, int repetitions = 3);

}  // namespace rnnkit::bench
