// rnnkit's panel kernel for the products of a recurrent time loop (src/tensor/panel_product.h):
// against a double-precision reference for row, column and depth counts around its 8-row and
// 16-column blocks and the 12-row blocks of products of 96 rows or more, transposed and plain B,
// beta 0, 1 and 0.5, strided operands; a row's bits do not depend on the rows beside it or on the
// thread count (nor, on the AVX2 path, on whether it is in a product of up to three rows, taken
// in whole panels, or of more); bfloat16 panels; the AVX2 kernel's bits against the AVX-512
// kernel's.
#include "tensor/panel_product.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>
#include <vector>

#include "panel_kernel_support.h"
#include "random_values.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/error.h"
#include "rnnkit/int8_rows.h"
#include "rnnkit/packed_matrix.h"
#include "rnnkit/rng.h"
#include "rnnkit/threads.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

using testing::random_values;

// C = A op(B) + beta C through the panels against a double-precision reference, with strided
// operands, leaving C's columns past N alone.
void expect_matches_reference(bool tb, int64_t M, int64_t N, int64_t K, float beta) {
  const int64_t lda = K + 3, ldb = (tb ? K : N) + 2, ldc = N + 5;
  const auto A = random_values(M * lda, 1), B = random_values((tb ? N : K) * ldb, 2);
  const auto C0 = random_values(M * ldc, 3);
  CacheAlignedVector<float> panels;
  std::vector<float> C = C0;
  panel_product::pack(tb ? Trans::Yes : Trans::No, K, N, B.data(), ldb, panels);
  panel_product::multiply(M, N, K, panels.data(), A.data(), lda, beta, C.data(), ldc);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t j = 0; j < ldc; ++j) {
      const float got = C[m * ldc + j];
      if (j >= N) {
        ASSERT_EQ(got, C0[m * ldc + j]) << "wrote past column " << N;
        continue;
      }
      double want = beta * static_cast<double>(C0[m * ldc + j]), magnitude = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double term =
            static_cast<double>(A[m * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
        want += term;
        magnitude += std::abs(term);
      }
      // Float32 summation's worst case, K * 2^-24 of the terms' magnitudes, beside a relative
      // 1e-5.
      ASSERT_NEAR(got, want, 1e-5 * (1 + std::abs(want)) + K * 0x1p-24 * magnitude)
          << "tb " << tb << " M " << M << " N " << N << " K " << K << " beta " << beta;
    }
}

TEST(PanelProduct, MatchesADoublePrecisionReference) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  for (const bool tb : {false, true})
    for (const int64_t M : {1, 2, 3, 8, 9, 16, 21, 96, 131})
      for (const int64_t N : {1, 15, 16, 17, 31, 32, 33, 70})
        for (const int64_t K : {0, 1, 7, 64, 600})
          for (const float beta : {0.0f, 1.0f, 0.5f}) expect_matches_reference(tb, M, N, K, beta);
}

// Weights past a core's L2 cache (here 2.4 MB, more than 1 MiB a thread on two): the row blocks
// of a product of few rows prefetch the next panel, each block its share of the k's (on the
// AVX-512 path one, two or three blocks; on the AVX2 path, up to 12 rows, four over both passes),
// and a last panel of 10 columns.
TEST(PanelProduct, ProductsOfWeightsBeyondTheL2CacheMatchTheReference) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  SettingsGuard guard;
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    for (const int64_t M : {1, 8, 12, 20})
      for (const bool tb : {false, true}) expect_matches_reference(tb, M, 1002, 601, 1.0f);
  }
}

// The panels taken last to first give the outputs of first to last, bit for bit: float32 (C's
// rows and rows read elsewhere), bfloat16 and int8 panels, one and two threads, with weights in
// L2 and past it (the next panel prefetched, now the one before).
TEST(PanelProduct, BothPanelOrdersGiveTheSameBits) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  SettingsGuard guard;
  using panel_product::PanelOrder;
  for (const int threads : {1, 2})
    for (const auto& [M, N, K] : {std::array<int64_t, 3>{1, 1002, 601},
                                  {20, 1002, 601},
                                  {2, 100, 64},
                                  {3, 300, 64},
                                  {7, 100, 64},
                                  {130, 300, 256}}) {
      set_num_threads(threads);
      const auto A = random_values(M * K, 6), W = random_values(N * K, 7);
      const auto C0 = random_values(M * N, 8);
      std::vector<const float*> c_rows(M);
      for (int64_t m = 0; m < M; ++m) c_rows[m] = C0.data() + (M - 1 - m) * N;
      CacheAlignedVector<float> panels;
      CacheAlignedVector<bf16> bf16_panels;
      CacheAlignedVector<int8_t> int8_panels;
      const Int8Rows q = quantize_rows(N, K, W.data(), K);
      panel_product::pack(Trans::Yes, K, N, W.data(), K, panels);
      panel_product::pack_bf16(K, N, W.data(), bf16_panels);
      panel_product::pack_int8(K, N, q.values.data(), q.ld, int8_panels);
      const auto run = [&](int kind, PanelOrder order) {
        std::vector<float> C = C0;
        if (kind == 0)
          panel_product::multiply(M, N, K, panels.data(), A.data(), K, 1.0f, C.data(), N, nullptr,
                                  order);
        else if (kind == 1)
          panel_product::multiply(M, N, K, panels.data(), A.data(), K, 0.5f, C.data(), N,
                                  c_rows.data(), order);
        else if (kind == 2)
          panel_product::multiply(M, N, K, bf16_panels.data(), A.data(), K, 1.0f, C.data(), N,
                                  order);
        else
          panel_product::multiply(M, N, K, int8_panels.data(), q.scales.data(), A.data(), K, 1.0f,
                                  C.data(), N, order);
        return C;
      };
      for (int kind = 0; kind < 4; ++kind)
        EXPECT_EQ(run(kind, PanelOrder::Descending), run(kind, PanelOrder::Ascending))
            << "kind " << kind << ", " << M << " x " << N << " x " << K << ", " << threads
            << " threads";
    }
}

TEST(PanelProduct, ARowGetsTheSameBitsAloneInABatchAndOnTwoThreads) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  SettingsGuard guard;
  // K = 600: a panel deeper than the AVX2 path takes at once.
  // M = 21: blocks of up to 8 rows; 130: of up to 12.
  for (const auto& [M, K] : {std::pair<int64_t, int64_t>{21, 256}, {21, 600}, {130, 256}}) {
    const int64_t N = 300;
    const auto A = random_values(M * K, 4), B = random_values(N * K, 5);
    CacheAlignedVector<float> panels;
    panel_product::pack(Trans::Yes, K, N, B.data(), K, panels);
    set_num_threads(1);
    std::vector<float> batch(M * N);
    panel_product::multiply(M, N, K, panels.data(), A.data(), K, 0.0f, batch.data(), N);
    // Alone, and in batches of two and three rows (the AVX2 path's whole-panel blocks).
    for (const int64_t rows : {1, 2, 3})
      for (int64_t m = 0; m + rows <= M; m += rows) {
        std::vector<float> few(rows * N);
        panel_product::multiply(rows, N, K, panels.data(), A.data() + m * K, K, 0.0f, few.data(),
                                N);
        for (int64_t j = 0; j < rows * N; ++j)
          ASSERT_EQ(few[j], batch[m * N + j]) << rows << " rows from " << m << ", " << j;
      }
    // Large enough to be shared among threads (2 * M * N * K > 2 MFLOP).
    set_num_threads(2);
    std::vector<float> shared(M * N);
    panel_product::multiply(M, N, K, panels.data(), A.data(), K, 0.0f, shared.data(), N);
    EXPECT_EQ(shared, batch) << "M " << M << " K " << K;
  }
}

// The bfloat16 panels (batch-1 and batched generation in the BF16 mode) give, bit for bit, the
// float32 kernel's outputs over the weights rounded to bfloat16 (which the test above checks
// against a double-precision reference), for widths around the 16-column halves that one load
// of a bfloat16 panel holds, and for a batch shared among two threads.
TEST(PanelProduct, Bf16PanelsGiveTheFloat32BitsOfTheRoundedWeights) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  SettingsGuard guard;
  for (const int threads : {1, 2}) {
    set_num_threads(threads);
    for (const int64_t M : {1, 3, 8, 9, 16})
      for (const int64_t N : {1, 15, 16, 17, 31, 32, 33, 70, 1031})
        for (const int64_t K : {0, 1, 7, 256})
          for (const float beta : {0.0f, 0.5f}) {
            const int64_t lda = K + 3, ldc = N + 5;
            const auto A = random_values(M * lda, 11), W = random_values(N * K, 12, 4.0f);
            const auto C0 = random_values(M * ldc, 13);
            std::vector<float> rounded(W.size());
            for (size_t i = 0; i < W.size(); ++i) rounded[i] = from_bf16(to_bf16(W[i]));
            CacheAlignedVector<float> f32_panels;
            std::vector<float> want = C0, got = C0;
            CacheAlignedVector<bf16> bf16_panels;
            panel_product::pack(Trans::Yes, K, N, rounded.data(), K, f32_panels);
            panel_product::multiply(M, N, K, f32_panels.data(), A.data(), lda, beta, want.data(),
                                    ldc);
            panel_product::pack_bf16(K, N, W.data(), bf16_panels);
            panel_product::multiply(M, N, K, bf16_panels.data(), A.data(), lda, beta, got.data(),
                                    ldc);
            ASSERT_EQ(got, want) << "M " << M << " N " << N << " K " << K << " beta " << beta
                                 << " threads " << threads;
          }
  }
}

// Rows that beta reads where they are (a one-hot layer's input rows, in another order and
// repeated) give the bits of those rows copied into C first, with a tail of rows and columns
// outside the 8 x 32 blocks; through PackedMatrix also when the product is too large for the
// panel kernel (oneDNN, after the copy).
TEST(PanelProduct, RowsReadElsewhereEqualRowsCopiedIntoC) {
  SettingsGuard guard;
  for (const int64_t N : {int64_t{300}, int64_t{8192}}) {
    const int64_t M = 11, K = 256, V = 5;
    const auto A = random_values(M * K, 6), B = random_values(N * K, 7);
    const auto table = random_values(V * N, 8);
    std::vector<const float*> c_rows(M);
    std::vector<float> copied(M * N);
    for (int64_t m = 0; m < M; ++m) {
      c_rows[m] = table.data() + ((m * 3) % V) * N;
      std::copy_n(c_rows[m], N, copied.data() + m * N);
    }
    for (const float beta : {1.0f, 0.5f}) {
      PackedMatrix packed;
      packed.pack(Trans::Yes, K, N, B.data(), K);
      std::vector<float> want = copied, got(M * N, -7.0f);
      packed.multiply(M, A.data(), K, beta, want.data(), N);
      packed.multiply(M, A.data(), K, beta, got.data(), N, c_rows.data());
      EXPECT_EQ(got, want) << "N " << N << " beta " << beta;
      // Where PackedMatrix took the panel kernel.
      if (!panel_product::suits(M, N, K)) continue;
      CacheAlignedVector<float> panels;
      std::vector<float> direct(M * N, -7.0f);
      panel_product::pack(Trans::Yes, K, N, B.data(), K, panels);
      panel_product::multiply(M, N, K, panels.data(), A.data(), K, beta, direct.data(), N,
                              c_rows.data());
      EXPECT_EQ(direct, want) << "beta " << beta;
    }
  }
}

// The AVX2 kernel (two passes of 16 columns in blocks of up to 6 rows; whole panels for up to 3
// rows) sums each output in the AVX-512 kernel's chain: the same bits, over float32, bfloat16 and
// int8 panels, for row counts around both kernels' blocks, widths around their vectors (8 and 16
// columns), beta 0, 1 and 0.5, C's rows or rows read elsewhere, and a product shared among two
// threads.
TEST(PanelProduct, TheAvx2PathGivesTheAvx512Bits) {
  if (!cpu_supports_path(CpuPath::Avx512)) GTEST_SKIP() << "no AVX-512 on this CPU to compare with";
  SettingsGuard guard;
  set_num_threads(2);
  enum class Weights { F32, F32RowsElsewhere, Bf16, Int8 };
  for (const int64_t M : {1, 2, 3, 4, 5, 6, 8, 9, 12, 16, 21})
    for (const int64_t N : {1, 7, 8, 9, 15, 16, 17, 24, 25, 31, 32, 33, 70, 1031})
      for (const int64_t K : {0, 1, 7, 64, 130})
        for (const float beta : {0.0f, 1.0f, 0.5f}) {
          const int64_t lda = K + 3, ldc = N + 5;
          const auto A = random_values(M * lda, 21), W = random_values(N * K, 22, 3.0f);
          const auto C0 = random_values(M * ldc, 23), table = random_values(M * N, 24);
          std::vector<const float*> c_rows(M);
          for (int64_t m = 0; m < M; ++m) c_rows[m] = table.data() + (M - 1 - m) * N;
          const Int8Rows q = quantize_rows(N, K, W.data(), K);
          CacheAlignedVector<float> f32_panels;
          CacheAlignedVector<bf16> bf16_panels;
          CacheAlignedVector<int8_t> int8_panels;
          panel_product::pack(Trans::Yes, K, N, W.data(), K, f32_panels);
          panel_product::pack_bf16(K, N, W.data(), bf16_panels);
          panel_product::pack_int8(K, N, q.values.data(), q.ld, int8_panels);
          auto run = [&](CpuPath path, Weights weights) {
            set_cpu_path(path);
            std::vector<float> C = C0;
            if (weights == Weights::Bf16)
              panel_product::multiply(M, N, K, bf16_panels.data(), A.data(), lda, beta, C.data(),
                                      ldc);
            else if (weights == Weights::Int8)
              panel_product::multiply(M, N, K, int8_panels.data(), q.scales.data(), A.data(), lda,
                                      beta, C.data(), ldc);
            else
              panel_product::multiply(
                  M, N, K, f32_panels.data(), A.data(), lda, beta, C.data(), ldc,
                  weights == Weights::F32RowsElsewhere ? c_rows.data() : nullptr);
            return C;
          };
          for (const Weights weights :
               {Weights::F32, Weights::F32RowsElsewhere, Weights::Bf16, Weights::Int8})
            ASSERT_EQ(run(CpuPath::Avx2, weights), run(CpuPath::Avx512, weights))
                << "M " << M << " N " << N << " K " << K << " beta " << beta << " weights "
                << static_cast<int>(weights);
        }
}

// The int8 panels (a quantized model's products without VNNI) against a double-precision
// product of the dequantized weights, each row scaled after its sum; a row's bits do not depend
// on the rows beside it.
TEST(PanelProduct, Int8PanelsMatchTheDequantizedProduct) {
  RNNKIT_SKIP_WITHOUT_PANEL_KERNEL();
  for (const int64_t M : {1, 2, 3, 5, 9})
    for (const int64_t N : {1, 15, 17, 33, 70})
      for (const int64_t K : {0, 1, 7, 130})
        for (const float beta : {0.0f, 0.5f}) {
          const int64_t lda = K + 3, ldc = N + 5;
          const auto A = random_values(M * lda, 31), W = random_values(N * K, 32, 2.0f);
          const auto C0 = random_values(M * ldc, 33);
          const Int8Rows q = quantize_rows(N, K, W.data(), K);
          CacheAlignedVector<int8_t> panels;
          panel_product::pack_int8(K, N, q.values.data(), q.ld, panels);
          std::vector<float> C = C0;
          panel_product::multiply(M, N, K, panels.data(), q.scales.data(), A.data(), lda, beta,
                                  C.data(), ldc);
          for (int64_t m = 0; m < M; ++m) {
            std::vector<float> alone(C0.begin() + m * ldc, C0.begin() + (m + 1) * ldc);
            panel_product::multiply(1, N, K, panels.data(), q.scales.data(), A.data() + m * lda,
                                    lda, beta, alone.data(), ldc);
            for (int64_t j = 0; j < ldc; ++j) {
              const float got = C[m * ldc + j];
              ASSERT_EQ(got, alone[j]) << "row " << m << " column " << j;
              if (j >= N) {
                ASSERT_EQ(got, C0[m * ldc + j]) << "wrote past column " << N;
                continue;
              }
              double want = 0;
              for (int64_t k = 0; k < K; ++k)
                want += static_cast<double>(A[m * lda + k]) *
                        dequantized(q.scales[j], q.values[j * q.ld + k]);
              want += beta * static_cast<double>(C0[m * ldc + j]);
              ASSERT_NEAR(got, want, 1e-5 * (1 + std::abs(want)))
                  << "M " << M << " N " << N << " K " << K << " beta " << beta;
            }
          }
        }
}

TEST(PanelProduct, TheBaselinePathIsRefusedAndAvx2TakesEveryShallowProduct) {
  SettingsGuard guard;
  set_cpu_path(CpuPath::Baseline);
  EXPECT_FALSE(panel_product::available());
  float a = 1, c = 0;
  CacheAlignedVector<float> panels;
  panel_product::pack(Trans::No, 1, 1, &a, 1, panels);
  EXPECT_THROW(panel_product::multiply(1, 1, 1, panels.data(), &a, 1, 0.0f, &c, 1), Error);
  if (!cpu_supports_path(CpuPath::Avx2)) return;
  set_cpu_path(CpuPath::Avx2);
  EXPECT_TRUE(panel_product::available());
  // A panel of 256 k's fits the L1 cache: any number of rows; deeper ones never.
  EXPECT_TRUE(panel_product::suits(128, 1024, 256));
  EXPECT_FALSE(panel_product::suits(4, 256, 1024));
  if (!cpu_supports_path(CpuPath::Avx512)) return;
  set_cpu_path(CpuPath::Avx512);
  EXPECT_FALSE(panel_product::suits(128, 1024, 256));
  EXPECT_TRUE(panel_product::suits(64, 1024, 256));
}

}  // namespace
}  // namespace rnnkit
