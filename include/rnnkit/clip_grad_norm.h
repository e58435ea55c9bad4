#pragma once
#include "rnnkit/parameter.h"

namespace rnnkit {

// The 2-norm of all gradients together, as if concatenated into one vector; the sum of squares is
// accumulated in double, so the result is the float nearest the exact norm (or inf / NaN when a
// gradient holds one). 0 for an empty list.
float grad_norm(const ParameterList& params);

// torch.nn.utils.clip_grad_norm_ with norm_type 2: returns the total norm before clipping and,
// when max_norm / (norm + 1e-6) < 1, multiplies every gradient by that coefficient (computed in
// float32 as PyTorch does). A non-finite norm is returned without touching the gradients: the
// caller decides whether to skip the step. Throws Error for a negative or non-finite max_norm.
float clip_grad_norm(const ParameterList& params, float max_norm);

// The factor clip_grad_norm multiplies the gradients by when their total norm is `norm`:
// max_norm / (norm + 1e-6) in float32 where that is below 1, else 1 (also for a non-finite norm,
// whose gradients it leaves alone). Optimizer::step(clip_coefficient(grad_norm(params), max_norm))
// is clip_grad_norm then step(), bit for bit, without the pass that writes the scaled gradients
// (a training step's clipping in the training engine). Throws Error as clip_grad_norm does.
float clip_coefficient(float norm, float max_norm);

}  // namespace rnnkit
