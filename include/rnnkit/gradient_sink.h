#pragma once
#include <cstdint>

#include "rnnkit/parameter.h"

namespace rnnkit {

// Receives parameters whose gradients a model's backward pass has finished, as soon as it has:
// data-parallel training reduces them across processes while the rest of the backward pass
// runs (the output layer's first). `count` is what the batch's mean loss divides by (its tokens,
// examples or values), so gradients of different batch shares weigh right in the sum.
class GradientSink {
 public:
  virtual ~GradientSink() = default;
  virtual void gradients_ready(const ParameterList& params, int64_t count) = 0;
};

// A backward pass's reports to an optional sink: report(params) after each part.
struct GradientReport {
  GradientSink* sink = nullptr;
  int64_t count = 0;
  void operator()(const ParameterList& params) const {
    if (sink) sink->gradients_ready(params, count);
  }
};

}  // namespace rnnkit
