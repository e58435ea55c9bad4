// The CPU path of rnnkit's own kernels (RNNKIT_CPU, set_cpu_path): the switch really changes
// the code that runs (the GEMV's sums come out in a different order), and the baseline, AVX2 and
// AVX-512 versions of every kind of kernel agree within float32 rounding. Also the limits of
// the thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "bf16_support.h"
#include "nn/cell_kernels.h"
#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/rng.h"
#include "rnnkit/sampler.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

using testing::random_values;

bool cpu_has_avx512() {
  return __builtin_cpu_supports("avx512f");
}

// What the kernels compute from fixed inputs: a GEMV, the three cells' forward steps, the
// softmax cross-entropy with its gradient and a sampling distribution, all in one vector.
std::vector<float> kernel_outputs() {
  std::vector<float> out;
  auto append = [&](const std::vector<float>& v) { out.insert(out.end(), v.begin(), v.end()); };
  const int64_t N = 64, K = 1000;
  const std::vector<float> W = random_values(N * K, 1, 3.0f), x = random_values(K, 2, 3.0f);
  std::vector<float> y(N);
  gemm(Trans::No, Trans::Yes, 1, N, K, 1.0f, x.data(), K, W.data(), K, 0.0f, y.data(), N);
  append(y);

  const int64_t B = 3, H = 37;
  std::vector<float> lstm_gates = random_values(B * 4 * H, 3, 3.0f),
                     c_prev = random_values(B * H, 4, 3.0f);
  std::vector<float> c(B * H), h(B * H);
  kernels::lstm_forward_step(B, H, lstm_gates.data(), c_prev.data(), c.data(), h.data());
  append(lstm_gates), append(c), append(h);
  std::vector<float> gru_gates = random_values(B * 3 * H, 5, 3.0f),
                     hproj = random_values(B * 3 * H, 6, 3.0f);
  const std::vector<float> bias = random_values(3 * H, 7, 3.0f),
                           h_prev = random_values(B * H, 8, 3.0f);
  std::vector<float> hn(B * H);
  kernels::gru_forward_step(B, H, gru_gates.data(), nullptr, hproj.data(), bias.data(), hn.data(),
                            h_prev.data(), h.data());
  append(gru_gates), append(h);
  std::vector<float> rnn_gates = random_values(B * H, 9, 3.0f);
  kernels::rnn_forward_step(B, H, false, rnn_gates.data(), h.data());
  append(h);

  const int64_t V = 301;
  const std::vector<float> logits = random_values(B * V, 10, 3.0f);
  const std::vector<int32_t> targets = {0, 150, 300};
  std::vector<float> grad(B * V);
  const CrossEntropySum ce =
      softmax_cross_entropy(logits.data(), B, V, V, targets.data(), -100, grad.data(), 1.0f);
  out.push_back(static_cast<float>(ce.loss_sum));
  append(grad);
  append(sampling_distribution(std::span<const float>(logits.data(), V), SamplingOptions{}));
  return out;
}

TEST(CpuPath, FollowsTheEnvironmentSwitch) {
  const char* env = std::getenv("RNNKIT_CPU");
  const std::string choice = env ? env : "";
  // ctest runs the unit tests once more with RNNKIT_CPU=baseline and once with RNNKIT_CPU=avx2
  // (make test-fallbacks): those runs check that the variable took effect.
  const CpuPath best = cpu_has_avx512() ? CpuPath::Avx512
                       : __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")
                           ? CpuPath::Avx2
                           : CpuPath::Baseline;
  if (choice == "baseline")
    EXPECT_EQ(cpu_path(), CpuPath::Baseline);
  else if (choice == "avx2")
    EXPECT_EQ(cpu_path(), CpuPath::Avx2);
  else
    EXPECT_EQ(cpu_path(), best);
  EXPECT_STREQ(cpu_path_name(CpuPath::Baseline), "baseline");
  EXPECT_STREQ(cpu_path_name(CpuPath::Avx2), "avx2");
  EXPECT_STREQ(cpu_path_name(CpuPath::Avx512), "avx512");
}

TEST(CpuPath, APathTheCpuLacksIsAnError) {
  SettingsGuard guard;
  for (CpuPath path : {CpuPath::Avx2, CpuPath::Avx512}) {
    if (cpu_supports_path(path)) continue;
    EXPECT_THROW(set_cpu_path(path), Error) << cpu_path_name(path);
  }
  EXPECT_TRUE(cpu_supports_path(CpuPath::Baseline));
}

// Every vector path against the baseline: the same results within float32 rounding, and a
// GEMV summed in another order (had the switch not changed the code that runs, all 64 of its
// outputs would be bitwise equal).
TEST(CpuPath, VectorPathsAndBaselineKernelsAgree) {
  SettingsGuard guard;
  set_cpu_path(CpuPath::Baseline);
  const std::vector<float> baseline = kernel_outputs();
  int paths = 0;
  for (CpuPath path : {CpuPath::Avx2, CpuPath::Avx512}) {
    if (!cpu_supports_path(path)) continue;
    SCOPED_TRACE(cpu_path_name(path));
    ++paths;
    set_cpu_path(path);
    ASSERT_EQ(cpu_path(), path);
    const std::vector<float> vector = kernel_outputs();
    ASSERT_EQ(vector.size(), baseline.size());
    int64_t bitwise_equal_gemv = 0;
    for (size_t i = 0; i < vector.size(); ++i) {
      // GEMV sums of 1000 products of size up to 9 (float32 rounding ~ 1e-3 at worst); the
      // pointwise kernels and exponentials within a few ulp.
      const double tol = i < 64 ? 1e-2 : 1e-5 * std::max(1.0f, std::abs(vector[i]));
      ASSERT_NEAR(baseline[i], vector[i], tol) << "output " << i;
      if (i < 64) bitwise_equal_gemv += baseline[i] == vector[i];
    }
#ifndef RNNKIT_SANITIZED  // the sanitizer build's -O1 does not vectorise: every path sums alike
    EXPECT_LT(bitwise_equal_gemv, 64);
#endif
  }
  if (paths == 0) GTEST_SKIP() << "this CPU has neither AVX2 nor AVX-512: only the baseline runs";
}

TEST(CpuPath, Bf16GemvAgreesAcrossPaths) {
  RNNKIT_SKIP_WITHOUT_BF16();
  if (!cpu_has_avx512()) GTEST_SKIP() << "this CPU has no AVX-512F: only the baseline path runs";
  SettingsGuard guard;
  const Precision saved = matmul_precision();
  set_matmul_precision(Precision::BF16);
  const int64_t N = 37, K = 300;
  const std::vector<float> W = random_values(N * K, 11, 3.0f), x = random_values(K, 12, 3.0f);
  std::vector<float> fast(N), portable(N);
  SingleRowProduct product;
  set_cpu_path(CpuPath::Avx512);
  product.multiply(N, K, W.data(), x.data(), 0.0f, fast.data());
  set_cpu_path(CpuPath::Baseline);
  product.multiply(N, K, W.data(), x.data(), 0.0f, portable.data());
  set_matmul_precision(saved);
  for (int64_t n = 0; n < N; ++n) ASSERT_NEAR(fast[n], portable[n], 1e-2) << n;
}

TEST(Threads, NegativeCountIsAnError) {
  try {
    set_num_threads(-1);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("got -1"), std::string::npos) << e.what();
  }
}

TEST(Threads, CountAboveTheCapIsAnErrorNamingIt) {
  for (int threads : {kMaxThreads + 1, 60000, 100000}) {
    try {
      set_num_threads(threads);
      FAIL() << "no error for " << threads;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(kMaxThreads)), std::string::npos)
          << e.what();
    }
  }
}

TEST(Threads, PinnedCountIsUsed) {
  const int saved = num_threads();
  set_num_threads(3);
  EXPECT_EQ(num_threads(), 3);
  set_num_threads(saved);
}

}  // namespace
}  // namespace rnnkit
