#pragma once
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit {

// A decoder ranks finite logits and leaves out -inf ones (tokens ruled out); a NaN or +inf is a
// model whose outputs overflowed, named instead of ranked or blamed on a mask.
inline void check_logit(float logit, size_t id) {
  if (std::isnan(logit) || logit == std::numeric_limits<float>::infinity())
    throw Error("the logit of token id " + std::to_string(id) + " is " + std::to_string(logit) +
                ": logits must be finite (or -inf); the model's outputs overflow (are its "
                "weights finite and sane?)");
}

}  // namespace rnnkit
