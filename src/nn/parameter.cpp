#include "rnnkit/parameter.h"

#include <cstring>

#include "tensor/element_ranges.h"

namespace rnnkit {

void zero_grad(const ParameterList& params) {
  for (Parameter* p : params) {
    float* grad = p->grad.data();
    for_element_ranges(p->grad.numel(), [&](int64_t begin, int64_t end) {
      std::memset(grad + begin, 0, static_cast<size_t>(end - begin) * sizeof(float));
    });
  }
}

}  // namespace rnnkit
