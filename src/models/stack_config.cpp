#include "rnnkit/stack_config.h"

namespace rnnkit {

void require_size(int64_t value, const char* name) {
  if (value <= 0)
    throw Error(std::string(name) + " must be positive, got " + std::to_string(value));
  if (value > (int64_t{1} << 24))
    throw Error(std::string(name) + " is too large: " + std::to_string(value));
}

}  // namespace rnnkit
