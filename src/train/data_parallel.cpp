#include <algorithm>

#include "rnnkit/training_task.h"

namespace rnnkit {

DataParallel::Share DataParallel::share(int64_t n) const {
  const int64_t r = rank(), p = ranks(), base = n / p, extra = n % p;
  return {r * base + std::min(r, extra), base + (r < extra ? 1 : 0)};
}

}  // namespace rnnkit
