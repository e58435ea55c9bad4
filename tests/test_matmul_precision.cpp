// The fast paths of the matrix products: bfloat16 rounding and products (checked against
// double-precision references on the rounded inputs), the batch-1 products with bfloat16 weight
// copies and when those copies are made again, prepacked right operands, the batch slices
// that run a recurrent layer's time loop on several threads (checked against single-sequence runs
// and finite differences), and BF16 precision end to end against the PyTorch fixtures with its
// documented tolerance.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <thread>
#include <vector>

#include "bf16_support.h"
#include "gradient_check.h"
#include "lm_fixture.h"
#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/gemm.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/recurrent_layer.h"
#include "rnnkit/rnn.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/sgd.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

using testing::ids_of;
using testing::parameters_only;
using testing::random_tensor;
using testing::scaled_max_error;

// BF16 precision's tolerance against PyTorch's float32 results, as the scaled error
// max |a - b| / max(1, max |b|): inputs rounded to 8 significant bits carry a relative error up
// to 2^-9 ~ 2e-3 each, and the errors of a forward and backward pass through a few layers add up
// to a few times that; 2e-2 leaves room for that and still catches a wrong product.
constexpr double kBf16Tolerance = 2e-2;

TEST(Bf16Rounding, RoundsToNearestEven) {
  EXPECT_EQ(to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(to_bf16(-2.0f), 0xC000);
  // 1 + 2^-8 lies halfway between 1 (0x3F80) and 1 + 2^-7 (0x3F81): ties go to the even one.
  EXPECT_EQ(to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  // 1 + 3 * 2^-8 lies halfway between 0x3F81 and 0x3F82: even is 0x3F82.
  EXPECT_EQ(to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  // Just above the halfway point rounds up.
  EXPECT_EQ(to_bf16(1.0f + std::ldexp(1.0f, -8) + std::ldexp(1.0f, -20)), 0x3F81);
  EXPECT_EQ(to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_EQ(from_bf16(0x3FC0), 1.5f);
}

TEST(Bf16Rounding, RoundsMatricesWithLeadingDimensions) {
  const std::vector<float> src = {1.0f, 2.0f, 9.0f, 3.0f, 1.0f + std::ldexp(1.0f, -7), 9.0f};
  std::vector<bf16> dst(4, 0);
  round_to_bf16(2, 2, src.data(), 3, dst.data(), 2);
  EXPECT_EQ(dst, (std::vector<bf16>{0x3F80, 0x4000, 0x4040, 0x3F81}));
}

// The nearest bfloat16 of a finite float, chosen by comparing the two neighbours in double (ties to
// the even one): an independent reference for the integer trick of to_bf16.
bf16 nearest_bf16(float x) {
  const uint32_t bits = std::bit_cast<uint32_t>(x);
  const bf16 below = static_cast<bf16>(bits >> 16), above = static_cast<bf16>(below + 1);
  const double d_below = std::abs(double{x} - from_bf16(below));
  const double d_above = std::abs(double{x} - from_bf16(above));
  if (d_below != d_above) return d_below < d_above ? below : above;
  return (below & 1) ? above : below;
}

// Long rows take the vectorised loop of every CPU path: random bit patterns (all exponents,
// subnormals included), exact ties, infinities and NaNs, the special values both at the start
// (in the vector loop) and at the end (in the remainder).
TEST(Bf16Rounding, EveryCpuPathRoundsLongRowsLikeTheDoubleReference) {
  SettingsGuard guard;
  Rng rng(7);
  std::vector<float> specials;
  for (uint32_t tie :
       {0x3F808000u, 0x3F818000u, 0xBF808000u, 0xBF818000u, 0x00018000u, 0x00008000u, 0x7F7F8000u})
    specials.push_back(std::bit_cast<float>(tie));
  specials.push_back(std::numeric_limits<float>::infinity());
  specials.push_back(-std::numeric_limits<float>::infinity());
  specials.push_back(std::numeric_limits<float>::quiet_NaN());
  specials.push_back(-std::numeric_limits<float>::quiet_NaN());
  specials.push_back(std::bit_cast<float>(0x7F800001u));  // signalling NaN: must stay NaN
  std::vector<float> src = specials;
  for (int i = 0; i < 4000; ++i) {
    const uint32_t bits = static_cast<uint32_t>(rng.uniform(0.0f, 1.0f) * 65536.0f) << 16 |
                          static_cast<uint32_t>(rng.uniform(0.0f, 1.0f) * 65536.0f);
    src.push_back(std::bit_cast<float>(bits));
  }
  src.insert(src.end(), specials.begin(), specials.end());
  for (CpuPath path : {CpuPath::Baseline, CpuPath::Avx2, CpuPath::Avx512}) {
    if (!cpu_supports_path(path)) continue;
    set_cpu_path(path);
    std::vector<bf16> dst(src.size());
    round_to_bf16(1, static_cast<int64_t>(src.size()), src.data(), 0, dst.data(), 0);
    for (size_t i = 0; i < src.size(); ++i) {
      if (std::isnan(src[i])) {
        EXPECT_TRUE(std::isnan(from_bf16(dst[i]))) << cpu_path_name(path) << " element " << i;
        continue;
      }
      // Floats above the largest bfloat16's halfway point round to infinity, as in PyTorch.
      const bf16 expected =
          std::isinf(src[i]) || std::abs(src[i]) >= 0x1.FEp127f
              ? static_cast<bf16>((std::bit_cast<uint32_t>(src[i]) >> 16 & 0x8000u) | 0x7F80u)
              : nearest_bf16(src[i]);
      ASSERT_EQ(dst[i], expected) << cpu_path_name(path) << " element " << i << " = " << src[i];
    }
  }
}

float rounded(float x) {
  return from_bf16(to_bf16(x));
}

// C = alpha * op(A) op(B) + beta * C0 in double, from the given element accessors.
std::vector<double> reference_product(bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                                      float alpha, const std::vector<float>& A, int64_t lda,
                                      const std::vector<float>& B, int64_t ldb, float beta,
                                      const std::vector<float>& C0, int64_t ldc,
                                      bool round_inputs) {
  std::vector<double> C(C0.begin(), C0.end());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) {
        float a = ta ? A[k * lda + m] : A[m * lda + k];
        float b = tb ? B[n * ldb + k] : B[k * ldb + n];
        if (round_inputs) a = rounded(a), b = rounded(b);
        s += static_cast<double>(a) * b;
      }
      C[m * ldc + n] = alpha * s + beta * static_cast<double>(C0[m * ldc + n]);
    }
  return C;
}

using testing::random_values;

struct ProductCase {
  bool ta, tb;
  int64_t M, N, K;
  float alpha, beta;
};

class Bf16Product : public ::testing::TestWithParam<ProductCase> {};

// gemm() of operands prepared in BF16 precision, and gemm() in BF16 precision on float
// operands, both give the exact product of the rounded inputs up to float32 accumulation.
TEST_P(Bf16Product, MatchesDoubleReferenceOfRoundedInputs) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  set_matmul_precision(Precision::BF16);
  const ProductCase c = GetParam();
  const int64_t lda = (c.ta ? c.M : c.K) + 3, ldb = (c.tb ? c.K : c.N) + 2, ldc = c.N + 5;
  const std::vector<float> A = random_values((c.ta ? c.K : c.M) * lda, 1);
  const std::vector<float> B = random_values((c.tb ? c.N : c.K) * ldb, 2);
  const std::vector<float> C0 = random_values(c.M * ldc, 3);
  const std::vector<double> want =
      reference_product(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A, lda, B, ldb, c.beta, C0, ldc, true);
  MatmulOperand a, b;
  a.prepare(c.ta ? c.K : c.M, c.ta ? c.M : c.K, A.data(), lda);
  b.prepare(c.tb ? c.N : c.K, c.tb ? c.K : c.N, B.data(), ldb);
  ASSERT_EQ(a.precision(), Precision::BF16);

  std::vector<float> C = C0;
  gemm(c.ta ? Trans::Yes : Trans::No, c.tb ? Trans::Yes : Trans::No, c.alpha, a, b, c.beta,
       C.data(), ldc);
  std::vector<float> D = C0;
  gemm(c.ta ? Trans::Yes : Trans::No, c.tb ? Trans::Yes : Trans::No, c.M, c.N, c.K, c.alpha,
       A.data(), lda, B.data(), ldb, c.beta, D.data(), ldc);
  // B prepared for many products: the second reads the copy the first packed.
  MatmulOperand packed_b;
  packed_b.prepare(c.tb ? c.N : c.K, c.tb ? c.K : c.N, B.data(), ldb, MatmulOperand::Reads::Many);
  ASSERT_NE(packed_b.packed(), nullptr);
  std::vector<float> E[2] = {C0, C0};
  for (std::vector<float>& e : E)
    gemm(c.ta ? Trans::Yes : Trans::No, c.tb ? Trans::Yes : Trans::No, c.alpha, a, packed_b, c.beta,
         e.data(), ldc);
  for (int64_t m = 0; m < c.M; ++m) {
    for (int64_t n = 0; n < c.N; ++n) {
      const double w = want[m * ldc + n], tol = 1e-5 * (c.K + std::abs(w));
      ASSERT_NEAR(C[m * ldc + n], w, tol) << m << "," << n;
      ASSERT_NEAR(E[0][m * ldc + n], w, tol) << m << "," << n;
      ASSERT_NEAR(E[1][m * ldc + n], w, tol) << m << "," << n;
      if (c.M > 1) {
        ASSERT_NEAR(D[m * ldc + n], w, tol) << m << "," << n;
      }
    }
  }
  // Entries outside the C block stay untouched.
  for (int64_t m = 0; m < c.M; ++m) {
    for (int64_t n = c.N; n < ldc; ++n) ASSERT_EQ(C[m * ldc + n], C0[m * ldc + n]);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, Bf16Product,
                         ::testing::Values(ProductCase{false, true, 7, 33, 19, 1.0f, 0.0f},
                                           ProductCase{false, false, 40, 17, 70, 1.0f, 1.0f},
                                           ProductCase{true, false, 33, 9, 45, 0.5f, 1.0f},
                                           ProductCase{true, true, 5, 6, 130, 1.0f, 0.25f},
                                           ProductCase{false, true, 1, 50, 64, 1.0f, 0.0f}));

// A transposed A whose rows are 2 or 4 KiB apart (a weight gradient's pre-activation gradients):
// where oneDNN runs its AVX2 or AVX-512 kernels, A is transposed in chunks of 256 of its rows, each
// chunk's product added to C, the threads sharing C's rows (this product is large enough to be
// shared). The result must equal the plain product over all 1,600 rows, leave C's other columns
// alone and not read C at beta 0.
TEST(Float32Product, TransposedAWithRowsKibApartMatchesTheReference) {
  SettingsGuard guard;
  set_matmul_precision(Precision::F32);
  const int64_t M = 70, N = 40, K = 1600, ldc = N + 5;
  for (const int64_t lda : {512, 1024})
    for (const bool tb : {false, true})
      for (const float beta : {0.0f, 0.5f}) {
        const int64_t ldb = tb ? K + 2 : N + 2;
        const std::vector<float> A = random_values(K * lda, 21);
        const std::vector<float> B = random_values((tb ? N : K) * ldb, 22);
        std::vector<float> C0 = random_values(M * ldc, 23);
        const std::vector<double> want =
            reference_product(true, tb, M, N, K, 0.75f, A, lda, B, ldb, beta, C0, ldc, false);
        if (beta == 0.0f)
          for (int64_t m = 0; m < M; ++m)
            std::fill_n(C0.begin() + m * ldc, N, std::numeric_limits<float>::quiet_NaN());
        std::vector<float> C = C0;
        gemm(Trans::Yes, tb ? Trans::Yes : Trans::No, M, N, K, 0.75f, A.data(), lda, B.data(), ldb,
             beta, C.data(), ldc);
        for (int64_t m = 0; m < M; ++m) {
          for (int64_t n = 0; n < N; ++n)
            ASSERT_NEAR(C[m * ldc + n], want[m * ldc + n], 1e-3)
                << m << "," << n << " lda " << lda << " tb " << tb;
          for (int64_t n = N; n < ldc; ++n) ASSERT_EQ(C[m * ldc + n], C0[m * ldc + n]);
        }
      }
}

// An output layer's weight: prepared for many products, read as W^T by the logits and as W by
// the features' gradient (two packed layouts), changed in place by the optimiser and prepared
// again: every product reads the weight as it was at its last prepare().
TEST(MatmulPrecision, OperandReadByManyProductsFollowsEachPrepare) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  set_matmul_precision(Precision::BF16);
  const int64_t V = 70, F = 48, rows = 9;
  std::vector<float> W = random_values(V * F, 11);
  const std::vector<float> X = random_values(rows * F, 12), G = random_values(rows * V, 13);
  MatmulOperand weight, x, g;
  x.prepare(rows, F, X.data(), F);
  g.prepare(rows, V, G.data(), V);
  for (int step = 0; step < 3; ++step) {
    weight.prepare(V, F, W.data(), F, MatmulOperand::Reads::Many);
    const std::vector<double> want_logits = reference_product(
        false, true, rows, V, F, 1.0f, X, F, W, F, 0.0f, std::vector<float>(rows * V), V, true);
    const std::vector<double> want_dx = reference_product(
        false, false, rows, F, V, 1.0f, G, V, W, F, 0.0f, std::vector<float>(rows * F), F, true);
    for (int chunk = 0; chunk < 2; ++chunk) {
      std::vector<float> logits(rows * V), dx(rows * F);
      gemm(Trans::No, Trans::Yes, 1.0f, x, weight, 0.0f, logits.data(), V);
      gemm(Trans::No, Trans::No, 1.0f, g, weight, 0.0f, dx.data(), F);
      for (int64_t i = 0; i < rows * V; ++i)
        ASSERT_NEAR(logits[i], want_logits[i], 1e-5 * (F + std::abs(want_logits[i])))
            << "step " << step << " chunk " << chunk << " logit " << i;
      for (int64_t i = 0; i < rows * F; ++i)
        ASSERT_NEAR(dx[i], want_dx[i], 1e-5 * (V + std::abs(want_dx[i])))
            << "step " << step << " chunk " << chunk << " dx " << i;
    }
    for (float& w : W) w = 0.5f - 2.0f * w;  // the optimiser's step, in place
  }
}

TEST(MatmulPrecision, Bf16ModeChangesTheResultByAboutTheRoundingError) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  const int64_t M = 16, N = 16, K = 256;
  const std::vector<float> A = random_values(M * K, 4), B = random_values(N * K, 5);
  std::vector<float> f32(M * N), b16(M * N);
  set_matmul_precision(Precision::F32);
  gemm(Trans::No, Trans::Yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, f32.data(), N);
  set_matmul_precision(Precision::BF16);
  EXPECT_EQ(matmul_precision(), Precision::BF16);
  gemm(Trans::No, Trans::Yes, M, N, K, 1.0f, A.data(), K, B.data(), K, 0.0f, b16.data(), N);
  const std::vector<double> exact =
      reference_product(false, true, M, N, K, 1.0f, A, K, B, K, 0.0f, f32, N, false);
  double f32_err = 0, b16_err = 0;
  for (int64_t i = 0; i < M * N; ++i) {
    f32_err = std::max(f32_err, std::abs(f32[i] - exact[i]));
    b16_err = std::max(b16_err, std::abs(b16[i] - exact[i]));
  }
  // sum |a b| ~ K / 4 = 64: float32 stays near 1e-5, bf16 inputs give ~ 64 * 2^-9 / sqrt(K) ~ 1e-2.
  EXPECT_LT(f32_err, 1e-4);
  EXPECT_GT(b16_err, 1e-3);
  EXPECT_LT(b16_err, 0.1);
}

struct RowCase {
  int64_t N, K;
  float beta;
};

class SingleRow : public ::testing::TestWithParam<RowCase> {};

// y = W x + beta * y: exact up to float32 sums in float32; in the BF16 mode exact for the rounded
// weights, with x as it is (only the weights are stored as bfloat16).
TEST_P(SingleRow, MatchesDoubleReferenceInBothPrecisions) {
  SettingsGuard guard;
  const RowCase c = GetParam();
  const std::vector<float> W = random_values(c.N * c.K, 6), x = random_values(c.K, 7),
                           y0 = random_values(c.N, 8);
  for (Precision precision : {Precision::F32, Precision::BF16}) {
    if (precision == Precision::BF16) RNNKIT_SKIP_WITHOUT_BF16();
    set_matmul_precision(precision);
    const bool round = precision == Precision::BF16;
    const std::vector<double> want =
        reference_product(false, true, 1, c.N, c.K, 1.0f, x, c.K, W, c.K, c.beta, y0, c.N, false);
    std::vector<double> want_rounded(c.N);
    for (int64_t n = 0; n < c.N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < c.K; ++k) s += static_cast<double>(rounded(W[n * c.K + k])) * x[k];
      want_rounded[n] = s + c.beta * static_cast<double>(y0[n]);
    }
    SingleRowProduct product;
    std::vector<float> y = y0;
    product.multiply(c.N, c.K, W.data(), x.data(), c.beta, y.data());
    for (int64_t n = 0; n < c.N; ++n) {
      const double w = round ? want_rounded[n] : want[n];
      ASSERT_NEAR(y[n], w, 1e-5 * (c.K + std::abs(w))) << n << (round ? " bf16" : " f32");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, SingleRow,
                         ::testing::Values(RowCase{1, 5, 0.0f}, RowCase{7, 16, 1.0f},
                                           RowCase{8, 64, 0.0f}, RowCase{33, 130, 0.5f},
                                           RowCase{1031, 256, 1.0f}, RowCase{517, 263, 0.0f}));

// The bfloat16 copy follows the weights once note_weights_changed() says they moved, and an
// optimizer step says so.
TEST(SingleRow, CopyIsMadeAgainAfterTheWeightsChange) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  set_matmul_precision(Precision::BF16);
  const int64_t N = 24, K = 40;
  Parameter w("w", {N, K});
  const std::vector<float> init = random_values(N * K, 9), x = random_values(K, 10);
  std::copy(init.begin(), init.end(), w.value.data());
  SingleRowProduct product;
  auto max_error = [&] {
    std::vector<float> y(N);
    product.multiply(N, K, w.value.data(), x.data(), 0.0f, y.data());
    double err = 0;
    for (int64_t n = 0; n < N; ++n) {
      double s = 0;
      for (int64_t k = 0; k < K; ++k) s += static_cast<double>(rounded(w.value[n * K + k])) * x[k];
      err = std::max(err, std::abs(y[n] - s));
    }
    return err;
  };
  ASSERT_LT(max_error(), 1e-4);
  for (float& v : w.value.span()) v = -3.0f * v;
  note_weights_changed();
  EXPECT_LT(max_error(), 1e-4);
  SGD sgd({&w}, SGDOptions{});
  for (float& g : w.grad.span()) g = 5.0f;
  sgd.step();
  EXPECT_LT(max_error(), 1e-4);
}

// A batch-1 language-model step in the BF16 mode reads bfloat16 weights: its logits move off
// the float32 ones, but by no more than the documented tolerance.
TEST(SingleRow, LanguageModelStepStaysWithinTheBf16Tolerance) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  SafetensorsFile f =
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/lm_lstm_l2_uni_emb.safetensors");
  LanguageModel model(LMConfig::from_json(f.metadata.at("rnnkit.config")));
  model.load_state_dict(parameters_only(f.tensors));
  auto run = [&](Precision precision) {
    set_matmul_precision(precision);
    LMState state;
    Tensor logits, all;
    std::vector<float> out;
    for (int32_t id : {1, 3, 2, 0, 4}) {
      model.step(std::span<const int32_t>(&id, 1), state, logits);
      out.insert(out.end(), logits.span().begin(), logits.span().end());
    }
    all.resize({static_cast<int64_t>(out.size())});
    std::copy(out.begin(), out.end(), all.data());
    return all;
  };
  const Tensor f32 = run(Precision::F32), b16 = run(Precision::BF16);
  const double err = scaled_max_error(b16, f32);
  EXPECT_GT(err, 1e-6);
  EXPECT_LE(err, kBf16Tolerance);
}

class PackedProduct : public ::testing::TestWithParam<bool> {};

TEST_P(PackedProduct, MatchesReferenceForEveryRowCountAndConcurrently) {
  const bool bf16_mode = GetParam();
  if (bf16_mode) RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  set_matmul_precision(bf16_mode ? Precision::BF16 : Precision::F32);
  const int64_t K = 48, N = 80;
  for (const bool tb : {false, true}) {
    const int64_t ldb = (tb ? K : N) + 1;
    const std::vector<float> B = random_values((tb ? N : K) * ldb, 6);
    PackedMatrix packed;
    packed.pack(tb ? Trans::Yes : Trans::No, K, N, B.data(), ldb);
    for (const int64_t M : {1, 5, 16}) {
      for (const float beta : {0.0f, 1.0f}) {
        const std::vector<float> A = random_values(M * K, 7 + M), C0 = random_values(M * N, 8);
        const std::vector<double> want =
            reference_product(false, tb, M, N, K, 1.0f, A, K, B, ldb, beta, C0, N, bf16_mode);
        // Two threads multiply at once, as the batch slices of a recurrent layer do.
        std::vector<float> C1 = C0, C2 = C0;
        std::thread other([&] { packed.multiply(M, A.data(), K, beta, C2.data(), N); });
        packed.multiply(M, A.data(), K, beta, C1.data(), N);
        other.join();
        for (int64_t i = 0; i < M * N; ++i) {
          ASSERT_NEAR(C1[i], want[i], 1e-4) << "tb " << tb << " M " << M << " beta " << beta;
          ASSERT_EQ(C1[i], C2[i]);
        }
      }
    }
  }
}

// oneDNN sizes a primitive's scratchpad for the thread count at its creation and runs it on the
// count at its execution: one made at 1 thread must not serve 2 (it would write past its
// scratchpad), as happens when the adaptive thread count grows during a run.
TEST(PackedProductThreads, AThreadCountGetsItsOwnPrimitive) {
  SettingsGuard guard;
  // The oneDNN primitives serve float32 on the baseline path (on the others a product this small
  // takes rnnkit's panel kernel).
  set_cpu_path(CpuPath::Baseline);
  const int64_t M = 16, K = 64, N = 96;
  const std::vector<float> B = random_values(K * N, 9), A = random_values(M * K, 10);
  const std::vector<float> C0(M * N, 0.0f);
  const std::vector<double> want =
      reference_product(false, false, M, N, K, 1.0f, A, K, B, N, 0.0f, C0, N, false);
  set_matmul_precision(Precision::F32);
  PackedMatrix packed;
  packed.pack(Trans::No, K, N, B.data(), N);
  for (const int threads : {1, 2, 1}) {
    set_num_threads(threads);
    std::vector<float> C = C0;
    packed.multiply(M, A.data(), K, 0.0f, C.data(), N);
    for (int64_t i = 0; i < M * N; ++i) ASSERT_NEAR(C[i], want[i], 1e-4) << threads << " threads";
  }
  EXPECT_EQ(packed.primitive_count(), 2u);
}

// A float32 product goes through rnnkit's panel kernel (no oneDNN primitive) or oneDNN, as
// panel_product::suits() says for the path: [M, N, K, whether oneDNN]; done again, the same bits.
void expect_packed_product_paths(CpuPath path,
                                 std::initializer_list<std::array<int64_t, 4>> shapes) {
  if (!cpu_supports_path(path)) GTEST_SKIP() << "this CPU lacks the path";
  SettingsGuard guard;
  set_cpu_path(path);
  set_matmul_precision(Precision::F32);
  for (const auto& [M, N, K, onednn] : shapes) {
    const std::vector<float> B = random_values(K * N, 11), A = random_values(M * K, 12);
    const std::vector<float> C0(M * N, 0.0f);
    const std::vector<double> want =
        reference_product(false, true, M, N, K, 1.0f, A, K, B, K, 0.0f, C0, N, false);
    PackedMatrix packed;
    packed.pack(Trans::Yes, K, N, B.data(), K);
    std::vector<float> C = C0;
    packed.multiply(M, A.data(), K, 0.0f, C.data(), N);
    for (int64_t i = 0; i < M * N; ++i) ASSERT_NEAR(C[i], want[i], 1e-4) << N;
    EXPECT_EQ(packed.primitive_count(), static_cast<size_t>(onednn))
        << M << " x " << N << " x " << K;
    // The next product takes the panels in the other order (PanelOrder): the same bits.
    std::vector<float> again = C0;
    packed.multiply(M, A.data(), K, 0.0f, again.data(), N);
    EXPECT_EQ(again, C) << M << " x " << N << " x " << K;
  }
}

TEST(PackedProductPaths, SmallOrFewRowFloat32ProductsTakeThePanelKernelOnAvx512) {
  expect_packed_product_paths(CpuPath::Avx512, {{16, 256, 256, 0},
                                                {64, 256, 256, 0},
                                                {16, 8192, 256, 0},
                                                {32, 4096, 512, 0},
                                                {64, 2048, 256, 1}});
}

TEST(PackedProductPaths, ShallowFloat32ProductsTakeThePanelKernelOnAvx2) {
  expect_packed_product_paths(CpuPath::Avx2,
                              {{16, 8192, 256, 0}, {128, 1024, 256, 0}, {4, 256, 1024, 1}});
}

INSTANTIATE_TEST_SUITE_P(Precisions, PackedProduct, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "bf16" : "f32"; });

struct SliceCase {
  CellKind cell;
  int64_t proj_size = 0;
};

class BatchSlices : public ::testing::TestWithParam<SliceCase> {};

// With two threads and 32 sequences, the time loop runs on two batch slices of 16 rows; every
// sequence must come out as when it runs alone (batch 1: one-row products, no slices).
TEST_P(BatchSlices, SlicedSequencesMatchSequencesRunAlone) {
  SettingsGuard guard;
  set_num_threads(2);
  const auto [cell, proj_size] = GetParam();
  const int64_t T = 6, B = 32, In = 7, H = 24, S = proj_size ? proj_size : H;
  Rng rng(11);
  RecurrentLayer layer(cell, In, H, false, "rnn", "_l0", proj_size);
  for (Parameter* p : layer.parameters()) p->value = random_tensor(p->value.shape(), rng, 0.3f);
  const Tensor x = random_tensor({T, B, In}, rng), h0 = random_tensor({B, S}, rng, 0.5f);
  const Tensor c0 = random_tensor({B, H}, rng, 0.5f);
  const bool lstm = cell == CellKind::Lstm;
  Tensor y({T, B, S}), hT({B, S}), cT({B, H});
  layer.forward(x.data(), In, T, B, h0.data(), lstm ? c0.data() : nullptr, y.data(), S, hT.data(),
                lstm ? cT.data() : nullptr);
  for (int64_t b = 0; b < B; ++b) {
    Tensor xb({T, 1, In}), yb({T, 1, S}), hb({1, S}), cb({1, H});
    for (int64_t t = 0; t < T; ++t)
      std::copy_n(x.data() + (t * B + b) * In, In, xb.data() + t * In);
    layer.forward(xb.data(), In, T, 1, h0.data() + b * S, lstm ? c0.data() + b * H : nullptr,
                  yb.data(), S, hb.data(), lstm ? cb.data() : nullptr);
    for (int64_t t = 0; t < T; ++t) {
      for (int64_t j = 0; j < S; ++j)
        ASSERT_NEAR(y[(t * B + b) * S + j], yb[t * S + j], 1e-5) << b << "," << t;
    }
    for (int64_t j = 0; j < S; ++j) ASSERT_NEAR(hT[b * S + j], hb[j], 1e-5);
    if (lstm) {
      for (int64_t j = 0; j < H; ++j) ASSERT_NEAR(cT[b * H + j], cb[j], 1e-5);
    }
  }
}

// The sliced backward pass against finite differences of the sliced forward pass.
TEST_P(BatchSlices, SlicedGradientsMatchFiniteDifferences) {
  SettingsGuard guard;
  set_num_threads(2);
  const auto [cell, proj_size] = GetParam();
  const int64_t T = 4, B = 16, In = 5, H = 6;
  RNN rnn({cell, In, H, 1, false, 0.0f, proj_size});
  Rng rng(12);
  rnn.reset_parameters(rng);
  Tensor x = random_tensor({T, B, In}, rng), h0 = random_tensor(rnn.state_shape(B), rng, 0.5f);
  const Tensor wy = random_tensor({T, B, rnn.output_size()}, rng);
  Tensor y, dx, dh0;
  auto objective = [&] {
    rnn.forward(x, &h0, nullptr, y, nullptr, nullptr, false, nullptr);
    return testing::dot(y, wy);
  };
  for (Parameter* p : rnn.parameters()) p->grad.zero();
  objective();
  rnn.backward(wy, nullptr, nullptr, &dx, &dh0, nullptr);
  std::vector<testing::GradientCase> cases = {{"x", &x, &dx}, {"h0", &h0, &dh0}};
  for (Parameter* p : rnn.parameters()) cases.push_back({p->name, &p->value, &p->grad});
  testing::expect_gradients_match(objective, cases, 12, cell == CellKind::RnnRelu ? 1e-3 : 1e-2);
}

INSTANTIATE_TEST_SUITE_P(Cells, BatchSlices,
                         ::testing::Values(SliceCase{CellKind::RnnTanh},
                                           SliceCase{CellKind::RnnRelu}, SliceCase{CellKind::Lstm},
                                           SliceCase{CellKind::Gru}, SliceCase{CellKind::Lstm, 4}),
                         [](const auto& info) {
                           return cell_kind_name(info.param.cell) +
                                  (info.param.proj_size ? "_proj" : "");
                         });

class Bf16Parity : public ::testing::TestWithParam<std::string> {};

// The training pass in BF16 precision stays within kBf16Tolerance of PyTorch's float32 loss,
// final state and every gradient.
TEST_P(Bf16Parity, StaysWithinTheDocumentedToleranceOfPyTorch) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  set_matmul_precision(Precision::BF16);
  SafetensorsFile f =
      read_safetensors(std::string(RNNKIT_FIXTURE_DIR) + "/" + GetParam() + ".safetensors");
  LanguageModel model(LMConfig::from_json(f.metadata.at("rnnkit.config")));
  model.load_state_dict(parameters_only(f.tensors));
  const auto& t = f.tensors;
  const Tensor& ids = t.at("input.ids");
  TokenBatch batch{ids.dim(0), ids.dim(1), ids_of(ids), ids_of(t.at("input.targets"))};
  const bool lstm = has_cell_state(model.config().cell);
  LMState state;
  state.h = t.at("input.h0");
  if (lstm) state.c = t.at("input.c0");
  for (Parameter* p : model.parameters()) p->grad.zero();
  Tensor dh0, dc0;
  StateGradients edges{&t.at("input.dhN"), lstm ? &t.at("input.dcN") : nullptr, &dh0,
                       lstm ? &dc0 : nullptr};
  LossResult loss = model.forward_backward(batch, state, false, true, nullptr, edges);
  EXPECT_NEAR(loss.mean(), t.at("output.loss")[0],
              kBf16Tolerance * std::max(1.0f, t.at("output.loss")[0]));
  EXPECT_LE(scaled_max_error(state.h, t.at("output.hN")), kBf16Tolerance);
  for (Parameter* p : model.parameters())
    EXPECT_LE(scaled_max_error(p->grad, t.at("grad." + p->name)), kBf16Tolerance) << p->name;
  EXPECT_LE(scaled_max_error(dh0, t.at("grad.h0")), kBf16Tolerance);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Bf16Parity,
                         ::testing::Values("lm_lstm_l2_uni_emb", "lm_gru_l2_bi_emb",
                                           "lm_rnn_tanh_l2_uni_onehot", "lm_lstm_l2_uni_tied"));

}  // namespace
}  // namespace rnnkit
