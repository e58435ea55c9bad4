// A step of several generation rows gives each row exactly the bits it gets alone: the
// condition for batched serving to return what the same request returns served alone.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "bf16_support.h"
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/language_model.h"
#include "rnnkit/precision.h"
#include "rnnkit/rng.h"
#include "rnnkit/single_row_product.h"
#include "settings_guard.h"

namespace rnnkit {
namespace {

bool same_bits(const float* a, const float* b, int64_t n) {
  return std::memcmp(a, b, static_cast<size_t>(n) * sizeof(float)) == 0;
}

// Each row of multiply_rows against multiply() of that row, for sizes that leave partial weight
// blocks (N % 8) and partial lanes (K % 16), on both CPU paths and with beta 0 and 1.
TEST(BatchedStep, RowProductsEqualSingleRowsBitForBit) {
  Rng rng(3);
  const CpuPath saved = cpu_path();
  for (CpuPath path : {CpuPath::Baseline, CpuPath::Avx512}) {
    if (path == CpuPath::Avx512 && saved != CpuPath::Avx512) continue;
    set_cpu_path(path);
    for (int64_t K : {5, 16, 37, 300}) {
      const int64_t N = 8 * 61 + 3, ld = K + 2;  // 300 x 491: the threaded path
      std::vector<float> W(static_cast<size_t>(N * K)), X(16 * ld), Y0(16 * N);
      for (float& v : W) v = rng.uniform(-1, 1);
      for (float& v : X) v = rng.uniform(-1, 1);
      for (float& v : Y0) v = rng.uniform(-1, 1);
      for (float beta : {0.0f, 1.0f}) {
        SingleRowProduct batched, single;
        std::vector<float> Y = Y0;
        batched.multiply_rows(kMaxStepRows, N, K, W.data(), X.data(), ld, beta, Y.data(), N);
        for (int64_t m = 0; m < kMaxStepRows; ++m) {
          std::vector<float> y(Y0.begin() + m * N, Y0.begin() + (m + 1) * N);
          single.multiply(N, K, W.data(), X.data() + m * ld, beta, y.data());
          EXPECT_TRUE(same_bits(y.data(), Y.data() + m * N, N))
              << cpu_path_name(path) << " K " << K << " row " << m << " beta " << beta;
        }
      }
    }
  }
  set_cpu_path(saved);
}

// Logits of 8 sequences stepped together equal those of each stepped alone, over several steps
// (the state carried in the batch too), for every cell, with projections and two layers.
void expect_batched_steps_exact(const LMConfig& config) {
  constexpr int64_t kRows = 8, kSteps = 4;
  LanguageModel model(config);
  Rng rng(11);
  model.reset_parameters(rng);
  std::vector<int32_t> tokens(kRows * kSteps);
  for (int32_t& t : tokens)
    t = static_cast<int32_t>(rng.below(static_cast<uint64_t>(config.vocab_size)));

  LMState together;
  Tensor batch_logits;
  std::vector<LMState> alone(kRows);
  Tensor row_logits;
  for (int64_t s = 0; s < kSteps; ++s) {
    std::vector<int32_t> ids(tokens.begin() + s * kRows, tokens.begin() + (s + 1) * kRows);
    model.step(ids, together, batch_logits);
    for (int64_t b = 0; b < kRows; ++b) {
      model.step(std::span<const int32_t>(&ids[static_cast<size_t>(b)], 1),
                 alone[static_cast<size_t>(b)], row_logits);
      EXPECT_TRUE(same_bits(row_logits.data(), batch_logits.data() + b * config.vocab_size,
                            config.vocab_size))
          << cell_kind_name(config.cell) << " step " << s << " row " << b;
    }
  }
}

LMConfig small_config(CellKind cell) {
  LMConfig c;
  c.cell = cell;
  c.vocab_size = 203;
  c.embedding_dim = 24;
  c.hidden_size = 40;
  c.num_layers = 2;
  return c;
}

TEST(BatchedStep, LogitsOfEightRowsEqualEachRowAloneForEveryCell) {
  for (CellKind cell : {CellKind::RnnTanh, CellKind::RnnRelu, CellKind::Lstm, CellKind::Gru})
    expect_batched_steps_exact(small_config(cell));
  LMConfig projected = small_config(CellKind::Lstm);
  projected.proj_size = 17;
  expect_batched_steps_exact(projected);
  LMConfig one_hot = small_config(CellKind::Gru);
  one_hot.embedding_dim = 0;
  expect_batched_steps_exact(one_hot);
}

TEST(BatchedStep, LogitsOfEightRowsEqualEachRowAloneWithInt8Weights) {
  SettingsGuard guard;
  for (CpuPath path : {CpuPath::Baseline, CpuPath::Avx2, cpu_path()}) {
    if (!cpu_supports_path(path)) continue;
    set_cpu_path(path);
    for (CellKind cell : {CellKind::Lstm, CellKind::Gru}) {
      LMConfig quantized = small_config(cell);
      quantized.int8_weights = true;
      expect_batched_steps_exact(quantized);
    }
  }
}

TEST(BatchedStep, LogitsOfEightRowsEqualEachRowAloneInBf16) {
  RNNKIT_SKIP_WITHOUT_BF16();
  set_matmul_precision(Precision::BF16);
  for (CellKind cell : {CellKind::Lstm, CellKind::Gru})
    expect_batched_steps_exact(small_config(cell));
  set_matmul_precision(Precision::F32);
}

}  // namespace
}  // namespace rnnkit
