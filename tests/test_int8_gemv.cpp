// Int8 weights with per-row scales (rnnkit/int8_rows.h) and their GEMVs (src/tensor/int8_gemv.h):
// the quantization error, its idempotence, and both kernels against a float64 product of the
// dequantized weights within the bounds int8_gemv.h derives.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "rnnkit/int8_rows.h"
#include "settings_guard.h"
#include "tensor/int8_gemv.h"

namespace rnnkit {
namespace {

using gemv::Int8Kernel;

std::vector<float> random_values(int64_t n, float spread, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, spread);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = normal(rng);
  return v;
}

TEST(Int8Rows, EachElementIsWithinHalfAScaleAndTheRowMaxIsExact) {
  const int64_t N = 13, K = 70;
  std::vector<float> W = random_values(N * K, 0.3f, 1);
  W[5 * K + 3] = 0;  // a zero stays zero
  const Int8Rows q = quantize_rows(N, K, W.data(), K);
  ASSERT_EQ(q.ld, 128);
  for (int64_t n = 0; n < N; ++n) {
    float max_abs = 0;
    for (int64_t k = 0; k < K; ++k) max_abs = std::max(max_abs, std::fabs(W[n * K + k]));
    EXPECT_EQ(q.scales[n], max_abs / 127.0f);
    int32_t sum = 0;
    for (int64_t k = 0; k < K; ++k) {
      const int8_t v = q.values[n * q.ld + k];
      EXPECT_LE(std::fabs(dequantized(q.scales[n], v) - W[n * K + k]), q.scales[n] / 2 * 1.0001f)
          << n << "," << k;
      EXPECT_GE(v, -127);
      sum += v;
    }
    for (int64_t k = K; k < q.ld; ++k) EXPECT_EQ(q.values[n * q.ld + k], 0);
    EXPECT_EQ(q.row_sums[n], sum);
  }
  EXPECT_EQ(q.values[5 * q.ld + 3], 0);
}

TEST(Int8Rows, QuantizingTheDequantizedWeightsGivesTheSameBits) {
  for (uint32_t seed = 1; seed <= 20; ++seed) {
    const int64_t N = 64, K = 33;
    std::vector<float> W = random_values(N * K, 0.01f * static_cast<float>(seed * seed), seed);
    const Int8Rows q = quantize_rows(N, K, W.data(), K);
    std::vector<float> back(static_cast<size_t>(N * K));
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        back[n * K + k] = dequantized(q.scales[n], q.values[n * q.ld + k]);
    const Int8Rows again = quantize_rows(N, K, back.data(), K);
    EXPECT_EQ(again.values, q.values) << seed;
    EXPECT_EQ(again.scales, q.scales) << seed;
  }
}

TEST(Int8Rows, AZeroRowHasScaleZeroAndANonFiniteWeightIsAnError) {
  std::vector<float> W = {0, 0, 0, 1, -2, 0.5f};
  const Int8Rows q = quantize_rows(2, 3, W.data(), 3);
  EXPECT_EQ(q.scales[0], 0.0f);
  EXPECT_EQ(q.values[0], 0);
  EXPECT_EQ(q.values[q.ld + 1], -127);
  W[4] = NAN;
  EXPECT_THROW(
      {
        try {
          quantize_rows(2, 3, W.data(), 3);
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("row 1, column 1"), std::string::npos) << e.what();
          throw;
        }
      },
      Error);
}

// The product of the dequantized weights in float64, and sum_k |Wdeq[n][k]| * |x[k]| and
// sum_k |Wdeq[n][k]| for the bounds.
struct Reference {
  std::vector<double> y, abs_product, abs_weights;
};

Reference reference(const Int8Rows& q, const std::vector<float>& x, float beta,
                    const std::vector<float>& y0) {
  Reference r;
  for (int64_t n = 0; n < q.rows; ++n) {
    double sum = 0, abs_product = 0, abs_weights = 0;
    for (int64_t k = 0; k < q.cols; ++k) {
      const double w = dequantized(q.scales[n], q.values[n * q.ld + k]);
      sum += w * x[k];
      abs_product += std::fabs(w * x[k]);
      abs_weights += std::fabs(w);
    }
    r.y.push_back(sum + beta * y0[n]);
    r.abs_product.push_back(abs_product + std::fabs(beta * y0[n]));
    r.abs_weights.push_back(abs_weights);
  }
  return r;
}

float max_abs(const std::vector<float>& x) {
  float m = 0;
  for (float v : x) m = std::max(m, std::fabs(v));
  return m;
}

void check_kernel(Int8Kernel kernel) {
  // Rows: a single block, blocks with a remainder, large enough for two threads.
  for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{
           {1, 1}, {7, 63}, {8, 64}, {13, 65}, {37, 200}, {1024, 512}, {300, 1000}}) {
    for (float beta : {0.0f, 0.5f}) {
      SCOPED_TRACE(std::to_string(N) + "x" + std::to_string(K) + " beta " + std::to_string(beta));
      const std::vector<float> W = random_values(N * K, 0.1f, static_cast<uint32_t>(N * K));
      const std::vector<float> x = random_values(K, 1.0f, static_cast<uint32_t>(K + 7));
      const std::vector<float> y0 = random_values(N, 1.0f, 3);
      const Int8Rows q = quantize_rows(N, K, W.data(), K);
      std::vector<float> y = y0;
      gemv::int8(kernel, q, x.data(), beta, y.data());
      const Reference r = reference(q, x, beta, y0);
      // float32 summation: a few ulps of the sum of magnitudes; VNNI adds the rounding of x,
      // at most sx / 2 per element, sx = max|x| / 127.
      const double sx = max_abs(x) / 127.0;
      for (int64_t n = 0; n < N; ++n) {
        double bound = 1e-5 * r.abs_product[n] + 1e-6;
        if (kernel != Int8Kernel::Widened) bound += sx / 2 * r.abs_weights[n];
        ASSERT_NEAR(y[n], r.y[n], bound) << "row " << n;
      }
    }
  }
}

TEST(Int8Gemv, WidenedKernelMatchesTheDequantizedProduct) {
  check_kernel(Int8Kernel::Widened);
}

TEST(Int8Gemv, WidenedKernelOnTheBaselinePathMatchesTheDequantizedProduct) {
  SettingsGuard guard;
  set_cpu_path(CpuPath::Baseline);
  check_kernel(Int8Kernel::Widened);
}

TEST(Int8Gemv, VnniKernelMatchesTheDequantizedProductWithinTheActivationRounding) {
  if (!gemv::int8_kernel_supported(Int8Kernel::Vnni)) GTEST_SKIP() << "no AVX512_VNNI here";
  check_kernel(Int8Kernel::Vnni);
}

TEST(Int8Gemv, AvxVnniKernelMatchesTheDequantizedProductWithinTheActivationRounding) {
  if (!gemv::int8_kernel_supported(Int8Kernel::AvxVnni)) GTEST_SKIP() << "no AVX-VNNI here";
  check_kernel(Int8Kernel::AvxVnni);
}

// M rows at once (a batched generation step) give each row the bits it gets alone, whatever the
// kernel: rows ldx and ldy apart, a non-finite row among them, blocks with a remainder and a
// product large enough for two threads.
void check_rows_equal_each_row_alone(Int8Kernel kernel) {
  for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{13, 65}, {300, 1000}}) {
    const int64_t M = 16, ldx = K + 3, ldy = N + 5;
    const std::vector<float> W = random_values(N * K, 0.1f, 31);
    std::vector<float> X = random_values(M * ldx, 1.0f, 32);
    X[5 * ldx + 2] = NAN;
    const std::vector<float> Y0 = random_values(M * ldy, 1.0f, 33);
    const Int8Rows q = quantize_rows(N, K, W.data(), K);
    std::vector<float> Y = Y0;
    gemv::int8(kernel, q, M, X.data(), ldx, 0.5f, Y.data(), ldy);
    for (int64_t m = 0; m < M; ++m) {
      std::vector<float> y(Y0.begin() + m * ldy, Y0.begin() + m * ldy + N);
      gemv::int8(kernel, q, X.data() + m * ldx, 0.5f, y.data());
      ASSERT_EQ(std::memcmp(y.data(), Y.data() + m * ldy, N * sizeof(float)), 0)
          << N << "x" << K << " row " << m;
    }
    EXPECT_TRUE(std::isnan(Y[5 * ldy]));
    EXPECT_EQ(Y[ldy + N], Y0[ldy + N]) << "beyond a row's N outputs Y is left alone";
  }
}

TEST(Int8Gemv, RowsOfABatchEqualEachRowAloneOnEveryKernel) {
  SettingsGuard guard;
  check_rows_equal_each_row_alone(Int8Kernel::Widened);
  for (Int8Kernel kernel : {Int8Kernel::Vnni, Int8Kernel::AvxVnni})
    if (gemv::int8_kernel_supported(kernel)) check_rows_equal_each_row_alone(kernel);
  set_cpu_path(CpuPath::Baseline);
  check_rows_equal_each_row_alone(Int8Kernel::Widened);
}

TEST(Int8Gemv, AvxVnniEqualsVnniBitForBit) {
  if (!gemv::int8_kernel_supported(Int8Kernel::AvxVnni) ||
      !gemv::int8_kernel_supported(Int8Kernel::Vnni))
    GTEST_SKIP() << "needs both AVX-VNNI and AVX512_VNNI";
  // Exact int32 sums on either width: the same floats, for every row of odd-sized blocks.
  for (auto [N, K] : std::vector<std::pair<int64_t, int64_t>>{{13, 65}, {300, 1000}}) {
    const std::vector<float> W = random_values(N * K, 0.1f, 21), x = random_values(K, 1.0f, 22);
    const Int8Rows q = quantize_rows(N, K, W.data(), K);
    std::vector<float> wide(N, 1.0f), narrow(N, 1.0f);
    gemv::int8(Int8Kernel::Vnni, q, x.data(), 0.5f, wide.data());
    gemv::int8(Int8Kernel::AvxVnni, q, x.data(), 0.5f, narrow.data());
    for (int64_t n = 0; n < N; ++n) ASSERT_EQ(narrow[n], wide[n]) << N << "x" << K << " row " << n;
  }
}

TEST(Int8Gemv, VnniRoundsActivationsSoItDiffersFromTheWidenedKernel) {
  if (!gemv::int8_kernel_supported(Int8Kernel::Vnni)) GTEST_SKIP() << "no AVX512_VNNI here";
  // A bound that cannot fail would prove nothing: VNNI's error is real and of the size derived.
  const int64_t N = 64, K = 256;
  const std::vector<float> W = random_values(N * K, 0.1f, 5), x = random_values(K, 1.0f, 6);
  const Int8Rows q = quantize_rows(N, K, W.data(), K);
  std::vector<float> widened(N), vnni(N);
  gemv::int8(Int8Kernel::Widened, q, x.data(), 0.0f, widened.data());
  gemv::int8(Int8Kernel::Vnni, q, x.data(), 0.0f, vnni.data());
  double largest = 0;
  for (int64_t n = 0; n < N; ++n)
    largest = std::max(largest, double(std::fabs(vnni[n] - widened[n])));
  EXPECT_GT(largest, 1e-4);
}

TEST(Int8Gemv, VnniCarriesANonFiniteInputAndZeroInputGivesBetaY) {
  if (!gemv::int8_kernel_supported(Int8Kernel::Vnni)) GTEST_SKIP() << "no AVX512_VNNI here";
  const std::vector<float> W = random_values(16 * 64, 0.1f, 8);
  const Int8Rows q = quantize_rows(16, 64, W.data(), 64);
  std::vector<float> x(64, 0.0f), y(16, 2.0f);
  gemv::int8(Int8Kernel::Vnni, q, x.data(), 0.5f, y.data());
  for (float v : y) EXPECT_EQ(v, 1.0f);
  x[10] = NAN;
  gemv::int8(Int8Kernel::Vnni, q, x.data(), 0.0f, y.data());
  EXPECT_TRUE(std::isnan(y[0]));
}

TEST(Int8Gemv, EachCpuPathRunsItsKernel) {
  SettingsGuard guard;
  set_cpu_path(CpuPath::Baseline);
  EXPECT_EQ(gemv::int8_kernel(), Int8Kernel::Widened);
  const bool avx_vnni = gemv::int8_kernel_supported(Int8Kernel::AvxVnni);
  if (cpu_supports_path(CpuPath::Avx2)) {
    set_cpu_path(CpuPath::Avx2);
    EXPECT_EQ(gemv::int8_kernel(), avx_vnni ? Int8Kernel::AvxVnni : Int8Kernel::Widened);
  }
  if (cpu_supports_path(CpuPath::Avx512)) {
    set_cpu_path(CpuPath::Avx512);
    EXPECT_EQ(gemv::int8_kernel(), gemv::int8_kernel_supported(Int8Kernel::Vnni) ? Int8Kernel::Vnni
                                   : avx_vnni ? Int8Kernel::AvxVnni
                                              : Int8Kernel::Widened);
  }
}

}  // namespace
}  // namespace rnnkit
