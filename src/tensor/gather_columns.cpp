#include <algorithm>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/tensor.h"

namespace rnnkit {

Tensor gather_columns(const Tensor& x, std::span<const int32_t> columns) {
  if (x.empty()) return {};
  if (x.ndim() != 3)
    throw Error("gather_columns needs a [T, B, F] tensor, got " + x.shape_string());
  const int64_t T = x.dim(0), B = x.dim(1), F = x.dim(2), n = static_cast<int64_t>(columns.size());
  Tensor out({T, n, F});
  for (int64_t i = 0; i < n; ++i) {
    if (columns[i] < 0 || columns[i] >= B)
      throw Error("batch column " + std::to_string(columns[i]) + " is outside 0.." +
                  std::to_string(B - 1));
    for (int64_t t = 0; t < T; ++t) {
      const float* from = x.data() + (t * B + columns[i]) * F;
      std::copy(from, from + F, out.data() + (t * n + i) * F);
    }
  }
  return out;
}

}  // namespace rnnkit
