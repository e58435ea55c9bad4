#include "rnnkit/parameter.h"

namespace rnnkit {

void zero_grad(const ParameterList& params) {
  for (Parameter* p : params) p->grad.zero();
}

}  // namespace rnnkit
