// Column sums of src/tensor/row_ops.h, the bias gradients of every layer: against a plain loop
// that adds one row at a time in row order (the order the kernel promises), bit for bit, on every
// CPU path, on one thread and split into column blocks on two; a second output (the other bias of
// an LSTM or RNN layer) gets the same additions from its own start.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/rng.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

using testing::random_values;

// start[c] + src[0][c] + src[1][c] + ..., one float addition at a time.
std::vector<float> row_order_sums(int64_t rows, int64_t cols, const std::vector<float>& src,
                                  int64_t lds, std::vector<float> start) {
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) start[c] += src[r * lds + c];
  return start;
}

bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

struct Shape {
  int64_t rows, cols;  // 301 x 260: column blocks on two threads; 7 x 37: a tail of 3 rows
};

// Each case on every CPU path the machine has and on one and two threads.
template <class Check>
void on_every_path_and_thread_count(const Check& check) {
  SettingsGuard guard;
  for (CpuPath path : {CpuPath::Baseline, CpuPath::Avx2, CpuPath::Avx512}) {
    if (!cpu_supports_path(path)) continue;
    set_cpu_path(path);
    for (int threads : {1, 2}) {
      set_num_threads(threads);
      for (const Shape shape : {Shape{301, 260}, Shape{7, 37}}) {
        SCOPED_TRACE(std::string(cpu_path_name(path)) + ", " + std::to_string(threads) +
                     " threads, " + std::to_string(shape.rows) + " x " +
                     std::to_string(shape.cols));
        check(shape.rows, shape.cols);
      }
    }
  }
}

TEST(ColumnSums, AddRowsInRowOrderAndGiveASecondOutputTheSameAdditions) {
  on_every_path_and_thread_count([](int64_t rows, int64_t cols) {
    const int64_t lds = cols + 5;
    const std::vector<float> src = random_values(rows * lds, 1);
    const std::vector<float> start = random_values(cols, 2), start2 = random_values(cols, 3);
    std::vector<float> out = start, out2 = start2, alone = start;
    rows::add_column_sums(rows, cols, src.data(), lds, out.data(), out2.data());
    rows::add_column_sums(rows, cols, src.data(), lds, alone.data());
    EXPECT_TRUE(bitwise_equal(out, row_order_sums(rows, cols, src, lds, start)));
    EXPECT_TRUE(bitwise_equal(out2, row_order_sums(rows, cols, src, lds, start2)));
    EXPECT_TRUE(bitwise_equal(alone, out));
  });
}

}  // namespace
}  // namespace rnnkit
