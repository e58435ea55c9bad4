// Matrix products at the shapes rnnkit's models run (row-major, "NT" = C = A * W^T with W stored
// [N, K] like nn.Linear): float32 through gemm(), bfloat16 through gemm() of operands prepared
// (rounded) in BF16 precision before the timing, the batch-1 products of the layers, and the
// rounding itself. Counters: GFLOP/s (2*M*N*K per product).
#include <benchmark/benchmark.h>

#include <vector>

#include "rnnkit/gemm.h"
#include "rnnkit/packed_matrix.h"
#include "rnnkit/precision.h"
#include "rnnkit/rng.h"
#include "rnnkit/tensor.h"
#include "skipped_without_bf16.h"
#include "tensor/panel_product.h"

namespace rnnkit {
namespace {

std::vector<float> random_vector(int64_t n, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

// Args: M, N, K, trans_a, trans_b.
void args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "N", "K", "tA", "tB"});
  b->Args({15872, 1024, 128, 0, 1});  // poetry layer-0 input projection
  b->Args({128, 1024, 256, 0, 1});    // poetry recurrent step, forward
  b->Args({128, 256, 1024, 0, 0});    // poetry recurrent step, backward (dh = dgates W_hh)
  b->Args({1024, 256, 15872, 1, 0});  // poetry dW_hh over all steps
  b->Args({1024, 128, 15872, 1, 0});  // poetry layer-0 dW_ih
  b->Args({512, 128, 15872, 1, 0});   // the dW_hh of an LSTM of 128 (rows 2 KiB apart)
  b->Args({505, 8293, 256, 0, 1});    // poetry output layer, one chunk, forward
  b->Args({505, 256, 8293, 0, 0});    // ... backward dX
  b->Args({8293, 256, 505, 1, 0});    // ... backward dW
  b->Args({32, 1024, 256, 0, 1});     // d2l LSTM step
  b->Args({1024, 256, 1120, 1, 0});   // d2l LSTM dW_hh
  b->Args({768, 256, 1120, 1, 0});    // d2l GRU dW_hh
  b->Args({256, 256, 1120, 1, 0});    // d2l RNN dW_hh
  b->Args({2600, 650, 700, 1, 0});    // PTB-medium dW_hh (and dW_ih)
  b->Args({700, 2600, 650, 0, 1});    // PTB-medium layer input product
  b->Args({700, 650, 2600, 0, 0});    // ... its input gradient (dgates W_ih)
  b->Args({419, 10000, 650, 0, 1});   // PTB-medium output layer, one chunk, forward
  b->Args({419, 650, 10000, 0, 0});   // ... backward dX
  b->Args({10000, 650, 419, 1, 0});   // ... backward dW
  b->Args({32, 256, 256, 0, 1});      // d2l RNN step
  b->Args({20, 2600, 650, 0, 1});     // PTB-medium step
  b->Args({1, 1024, 256, 0, 1});      // generation GEMV, recurrent
  b->Args({1, 8293, 256, 0, 1});      // generation GEMV, output layer
  b->UseRealTime();
}

// In 64-byte aligned tensors, as the models' operands are: oneDNN's AVX2 sgemm runs some
// products at half the speed on them that it reaches on the 16-byte aligned blocks of malloc.
struct Operands {
  int64_t M, N, K, lda, ldb;
  Trans ta, tb;
  Tensor a, b, c;
  explicit Operands(const benchmark::State& state)
      : M(state.range(0)),
        N(state.range(1)),
        K(state.range(2)),
        lda(state.range(3) ? M : K),
        ldb(state.range(4) ? K : N),
        ta(state.range(3) ? Trans::Yes : Trans::No),
        tb(state.range(4) ? Trans::Yes : Trans::No),
        a(Tensor::from({M * K}, random_vector(M * K, 1))),
        b(Tensor::from({K * N}, random_vector(K * N, 2))),
        c({M * N}) {}
};

void set_rate(benchmark::State& state, double flop_per_iteration) {
  // In FLOP/s, shown with a G prefix; bench/stamp.sh's gbench_lines records G units.
  state.counters["GFLOP/s"] =
      benchmark::Counter(flop_per_iteration * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void BM_GemmF32(benchmark::State& state) {
  Operands o(state);
  for (auto _ : state) {
    gemm(o.ta, o.tb, o.M, o.N, o.K, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f, o.c.data(),
         o.N);
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.0 * o.M * o.N * o.K);
}
BENCHMARK(BM_GemmF32)->Apply(args);

void BM_GemmBF16(benchmark::State& state) {
  if (skipped_without_bf16(state)) return;
  Operands o(state);
  set_matmul_precision(Precision::BF16);
  MatmulOperand a, b;
  a.prepare(o.ta == Trans::No ? o.M : o.K, o.lda, o.a.data(), o.lda);
  b.prepare(o.tb == Trans::No ? o.K : o.N, o.ldb, o.b.data(), o.ldb);
  for (auto _ : state) {
    gemm(o.ta, o.tb, 1.0f, a, b, 0.0f, o.c.data(), o.N);
    benchmark::ClobberMemory();
  }
  set_matmul_precision(Precision::F32);
  set_rate(state, 2.0 * o.M * o.N * o.K);
}
BENCHMARK(BM_GemmBF16)->Apply(args);

// gemm() in BF16 precision: both operands rounded inside every product.
void BM_GemmRoundingBF16(benchmark::State& state) {
  if (skipped_without_bf16(state)) return;
  Operands o(state);
  set_matmul_precision(Precision::BF16);
  for (auto _ : state) {
    gemm(o.ta, o.tb, o.M, o.N, o.K, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f, o.c.data(),
         o.N);
    benchmark::ClobberMemory();
  }
  set_matmul_precision(Precision::F32);
  set_rate(state, 2.0 * o.M * o.N * o.K);
}
BENCHMARK(BM_GemmRoundingBF16)->Apply(args);

// A recurrent step's product C = A W^T through PackedMatrix (W packed once, as for W_hh over a
// sequence), in float32 or in bf16 precision (A's rows rounded in every product). Args: M, N, K,
// bf16.
void BM_PackedMatrix(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const bool bf16 = state.range(3) != 0;
  if (bf16 && skipped_without_bf16(state)) return;
  const std::vector<float> a = random_vector(M * K, 1), w = random_vector(N * K, 2);
  std::vector<float> c(static_cast<size_t>(M * N));
  set_matmul_precision(bf16 ? Precision::BF16 : Precision::F32);
  PackedMatrix packed;
  packed.pack(Trans::Yes, K, N, w.data(), K);
  for (auto _ : state) {
    packed.multiply(M, a.data(), K, 0.0f, c.data(), N);
    benchmark::ClobberMemory();
  }
  set_matmul_precision(Precision::F32);
  set_rate(state, 2.0 * M * N * K);
}
BENCHMARK(BM_PackedMatrix)
    ->ArgNames({"M", "N", "K", "bf16"})
    ->Args({16, 1024, 256, 0})  // d2l LSTM slice on each of two threads
    ->Args({16, 1024, 256, 1})
    ->Args({16, 256, 1024, 0})  // the shape of its backward product
    ->Args({32, 256, 1024, 0})  // the same on one thread
    ->Args({64, 1024, 256, 0})  // poetry LSTM slice on each of two threads
    ->Args({64, 1024, 256, 1})
    ->Args({128, 1024, 256, 0})  // the poetry layer's whole batch on one thread
    ->Args({64, 256, 1024, 0})   // the shape of its backward product
    ->Args({10, 2600, 650, 0})   // PTB-medium slice on each of two threads
    ->Args({10, 2600, 650, 1})
    ->Args({20, 2600, 650, 0})  // PTB-medium's whole batch on one thread
    ->Args({20, 650, 2600, 0})  // the shape of its backward product
    ->UseRealTime();

// rnnkit's panel kernel alone (panel_product.h), on the shapes of BM_PackedMatrix: run with
// RNNKIT_CPU=baseline, BM_PackedMatrix times oneDNN's matmul on them, which is how
// panel_product::suits() was chosen on the AVX2 path.
void BM_PanelProduct(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  if (!panel_product::available()) {
    state.SkipWithError("the panel kernel runs on the AVX-512 and AVX2 paths");
    return;
  }
  const std::vector<float> a = random_vector(M * K, 1), w = random_vector(N * K, 2);
  std::vector<float> c(static_cast<size_t>(M * N));
  CacheAlignedVector<float> panels;
  panel_product::pack(Trans::Yes, K, N, w.data(), K, panels);
  for (auto _ : state) {
    panel_product::multiply(M, N, K, panels.data(), a.data(), K, 0.0f, c.data(), N);
    benchmark::ClobberMemory();
  }
  set_rate(state, 2.0 * M * N * K);
}
BENCHMARK(BM_PanelProduct)
    ->ArgNames({"M", "N", "K"})
    ->Args({16, 1024, 256})
    ->Args({16, 256, 1024})
    ->Args({32, 256, 1024})
    ->Args({64, 1024, 256})
    ->Args({128, 1024, 256})
    ->Args({64, 256, 1024})
    ->Args({10, 2600, 650})
    ->Args({20, 2600, 650})
    ->Args({20, 650, 2600})
    ->Args({505, 8293, 256})  // poetry output layer, one chunk, forward (BM_GemmF32's oneDNN)
    ->UseRealTime();

// A layer's product in generation (SingleRowProduct) with the generation shapes, for one row
// (batch-1 generation) or several (a batched decode step): the float32 kernel, in BF16 precision
// the one over the bfloat16 weight copy, or the int8 one of a quantized model (weights: 0 f32,
// 1 bf16, 2 int8; copies made once, before the timing). Counters: the weight bytes read per
// second, the limit of one row's product, and the rows multiplied per second.
void BM_SingleRowProduct(benchmark::State& state) {
  const int64_t N = state.range(0), K = state.range(1), M = state.range(3);
  const int64_t weights = state.range(2);
  if (weights == 1 && skipped_without_bf16(state)) return;
  const std::vector<float> w = random_vector(N * K, 4), x = random_vector(M * K, 5);
  std::vector<float> y(static_cast<size_t>(M * N));
  set_matmul_precision(weights == 1 ? Precision::BF16 : Precision::F32);
  SingleRowProduct product;
  if (weights == 2) product.read_int8();
  product.multiply_rows(M, N, K, w.data(), x.data(), K, 0.0f, y.data(), N);
  for (auto _ : state) {
    product.multiply_rows(M, N, K, w.data(), x.data(), K, 0.0f, y.data(), N);
    benchmark::ClobberMemory();
  }
  set_matmul_precision(Precision::F32);
  const int64_t bytes_per_weight = weights == 0 ? 4 : weights == 1 ? 2 : 1;
  state.SetBytesProcessed(state.iterations() * N * K * bytes_per_weight);
  state.SetItemsProcessed(state.iterations() * M);
}
BENCHMARK(BM_SingleRowProduct)
    ->ArgNames({"N", "K", "weights", "rows"})
    ->ArgsProduct({{1024, 8293}, {256}, {0, 1, 2}, {1, 8}})
    ->ArgsProduct({{2600}, {650}, {0, 1, 2}, {1, 8}})  // PTB-medium's LSTM layer
    ->UseRealTime();

void BM_RoundToBF16(benchmark::State& state) {
  const int64_t n = state.range(0);
  std::vector<float> x = random_vector(n, 3);
  std::vector<bf16> y(static_cast<size_t>(n));
  for (auto _ : state) {
    round_to_bf16(1, n, x.data(), n, y.data(), n);
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * n * 6);
}
BENCHMARK(BM_RoundToBF16)->Arg(256 * 1024)->Arg(8293 * 256)->Arg(505 * 8293)->UseRealTime();

}  // namespace
}  // namespace rnnkit
