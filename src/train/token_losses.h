#pragma once
#include <span>

#include "rnnkit/language_model.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

// The pieces of LanguageModel::forward_backward that evaluation runs on its own schedules
// (windows, the checkpointed bidirectional pass), with a check that the loss stays finite.

// x: [ids.size(), input size] rows, the embedded ids (or one-hot rows without an embedding).
void embed_tokens(LanguageModel& model, std::span<const int32_t> ids, Tensor& x);

// Sum of the cross-entropies of n rows of recurrent output y ([n, output size]) against their
// targets. targets[r] is token `first_target + r` of the evaluated text: an Error names the first
// of them whose cross-entropy is not finite (the model's outputs overflow).
LossResult token_losses(LanguageModel& model, const float* y, int64_t n, const int32_t* targets,
                        int64_t first_target);

}  // namespace rnnkit
