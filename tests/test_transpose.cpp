// The transposition of src/tensor/row_ops.h (the weight gradients transpose their pre-activation
// gradients with it, gemm.cpp): every entry moved exactly, padding left alone, on every CPU path
// (16 x 16 register tiles on AVX-512, 8 x 8 on AVX2, a plain loop on the baseline) and on one and
// two threads, for shapes of whole tiles and with partial tiles on both edges.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

TEST(Transpose, MovesEveryEntryOnEveryPathAndThreadCount) {
  SettingsGuard guard;
  for (CpuPath path : {CpuPath::Baseline, CpuPath::Avx2, CpuPath::Avx512}) {
    if (!cpu_supports_path(path)) continue;
    set_cpu_path(path);
    for (int threads : {1, 2})
      for (const auto& [rows, cols] :
           {std::pair<int64_t, int64_t>{256, 512}, {37, 53}, {16, 16}, {5, 3}, {300, 33}}) {
        SCOPED_TRACE(std::string(cpu_path_name(path)) + ", " + std::to_string(threads) +
                     " threads, " + std::to_string(rows) + " x " + std::to_string(cols));
        set_num_threads(threads);
        const int64_t lds = cols + 7, ldd = rows + 3;
        const std::vector<float> src = testing::random_values(rows * lds, 3);
        std::vector<float> dst(static_cast<size_t>(cols * ldd), -1.0f);
        rows::transpose(rows, cols, src.data(), lds, dst.data(), ldd);
        for (int64_t c = 0; c < cols; ++c) {
          for (int64_t r = 0; r < rows; ++r)
            ASSERT_EQ(dst[c * ldd + r], src[r * lds + c]) << "row " << r << ", column " << c;
          for (int64_t r = rows; r < ldd; ++r) ASSERT_EQ(dst[c * ldd + r], -1.0f);
        }
      }
  }
}

}  // namespace
}  // namespace rnnkit
