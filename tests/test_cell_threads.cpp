// The cells' step kernels over a batch large enough to share its rows among the threads
// (kParallelCellElements): every row comes out as it does alone, bit for bit, forward and
// backward, so a row that a thread skipped, took twice (the kernels work in place) or took from
// another row's slots would show.
#include <gtest/gtest.h>

#include <vector>

#include "nn/cell_kernels.h"
#include "random_values.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

using testing::random_values;

// PTB-medium's step: 20 rows of 650, above the bound, shared by two threads.
constexpr int64_t kRows = 20, kHidden = 650;
static_assert(kRows * kHidden >= kernels::kParallelCellElements);

// Row b of a [rows, width] buffer.
std::vector<float> row_of(const std::vector<float>& m, int64_t b, int64_t width) {
  return {m.begin() + b * width, m.begin() + (b + 1) * width};
}

void expect_rows_equal(const std::vector<float>& batch, int64_t b, const std::vector<float>& alone,
                       const char* what) {
  const int64_t width = static_cast<int64_t>(alone.size());
  for (int64_t j = 0; j < width; ++j)
    ASSERT_EQ(batch[b * width + j], alone[j]) << what << " row " << b << " element " << j;
}

TEST(CellThreads, LstmStepsOfManyRowsEqualEachRowAlone) {
  SettingsGuard guard;
  set_num_threads(2);
  const int64_t B = kRows, H = kHidden;
  const std::vector<float> pre = random_values(B * 4 * H, 1, 3.0f),
                           c_prev = random_values(B * H, 2, 3.0f),
                           dy = random_values(B * H, 3, 1.0f),
                           dh_next = random_values(B * H, 4, 1.0f),
                           dc_next = random_values(B * H, 5, 1.0f);
  std::vector<float> gates = pre, c(B * H), h(B * H), dc = dc_next;
  kernels::lstm_forward_step(B, H, gates.data(), c_prev.data(), c.data(), h.data());
  const std::vector<float> activated = gates;
  kernels::lstm_backward_step(B, H, gates.data(), c_prev.data(), c.data(), dy.data(), H,
                              dh_next.data(), dc.data());
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> g = row_of(pre, b, 4 * H), c1(H), h1(H), dc1 = row_of(dc_next, b, H);
    const std::vector<float> cp = row_of(c_prev, b, H);
    kernels::lstm_forward_step(1, H, g.data(), cp.data(), c1.data(), h1.data());
    expect_rows_equal(activated, b, g, "activated gates");
    expect_rows_equal(c, b, c1, "c");
    expect_rows_equal(h, b, h1, "h");
    const std::vector<float> dy1 = row_of(dy, b, H), dh1 = row_of(dh_next, b, H);
    kernels::lstm_backward_step(1, H, g.data(), cp.data(), c1.data(), dy1.data(), H, dh1.data(),
                                dc1.data());
    expect_rows_equal(gates, b, g, "gate gradients");
    expect_rows_equal(dc, b, dc1, "dc_prev");
  }
}

TEST(CellThreads, GruStepsOfManyRowsEqualEachRowAlone) {
  SettingsGuard guard;
  set_num_threads(2);
  const int64_t B = kRows, H = kHidden;
  const std::vector<float> pre = random_values(B * 3 * H, 6, 3.0f),
                           hproj = random_values(B * 3 * H, 7, 3.0f),
                           bias = random_values(3 * H, 8, 1.0f),
                           h_prev = random_values(B * H, 9, 1.0f),
                           dy = random_values(B * H, 10, 1.0f),
                           dh_next = random_values(B * H, 11, 1.0f);
  std::vector<float> gates = pre, hn(B * H), h(B * H), dhproj(B * 3 * H), dh_direct(B * H);
  kernels::gru_forward_step(B, H, gates.data(), nullptr, hproj.data(), bias.data(), hn.data(),
                            h_prev.data(), h.data());
  const std::vector<float> activated = gates;
  kernels::gru_backward_step(B, H, gates.data(), hn.data(), h_prev.data(), dy.data(), H,
                             dh_next.data(), dhproj.data(), dh_direct.data());
  for (int64_t b = 0; b < B; ++b) {
    std::vector<float> g = row_of(pre, b, 3 * H), hn1(H), h1(H), dhp1(3 * H), dd1(H);
    const std::vector<float> hp1 = row_of(hproj, b, 3 * H), hprev1 = row_of(h_prev, b, H);
    kernels::gru_forward_step(1, H, g.data(), nullptr, hp1.data(), bias.data(), hn1.data(),
                              hprev1.data(), h1.data());
    expect_rows_equal(activated, b, g, "activated gates");
    expect_rows_equal(hn, b, hn1, "hn");
    expect_rows_equal(h, b, h1, "h");
    const std::vector<float> dy1 = row_of(dy, b, H), dh1 = row_of(dh_next, b, H);
    kernels::gru_backward_step(1, H, g.data(), hn1.data(), hprev1.data(), dy1.data(), H, dh1.data(),
                               dhp1.data(), dd1.data());
    expect_rows_equal(gates, b, g, "input-side gradients");
    expect_rows_equal(dhproj, b, dhp1, "hidden-side gradients");
    expect_rows_equal(dh_direct, b, dd1, "direct dh_prev");
  }
}

}  // namespace
}  // namespace rnnkit
