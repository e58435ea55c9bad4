#include "rnnkit/int8_rows.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit {

Int8Rows quantize_rows(int64_t rows, int64_t cols, const float* W, int64_t ldw) {
  Int8Rows q;
  q.rows = rows;
  q.cols = cols;
  q.ld = (cols + kInt8RowAlignment - 1) / kInt8RowAlignment * kInt8RowAlignment;
  q.values.assign(static_cast<size_t>(rows * q.ld), 0);
  q.scales.assign(static_cast<size_t>(rows), 0.0f);
  q.row_sums.assign(static_cast<size_t>(rows), 0);
  for (int64_t n = 0; n < rows; ++n) {
    const float* w = W + n * ldw;
    float max_abs = 0.0f;
    for (int64_t k = 0; k < cols; ++k) {
      if (!std::isfinite(w[k]))
        throw Error("cannot quantize a non-finite weight (" + std::to_string(w[k]) + " in row " +
                    std::to_string(n) + ", column " + std::to_string(k) + ")");
      max_abs = std::max(max_abs, std::fabs(w[k]));
    }
    const float scale = max_abs / 127.0f;
    q.scales[n] = scale;
    if (scale == 0.0f) continue;
    int8_t* values = q.values.data() + n * q.ld;
    int32_t sum = 0;
    for (int64_t k = 0; k < cols; ++k) {
      // Division, not multiplication by 1 / scale: the largest element must come out as 127
      // exactly for quantizing to be idempotent.
      const float v = std::nearbyint(w[k] / scale);
      values[k] = static_cast<int8_t>(std::fmax(-127.0f, std::fmin(127.0f, v)));
      sum += values[k];
    }
    q.row_sums[n] = sum;
  }
  return q;
}

}  // namespace rnnkit
