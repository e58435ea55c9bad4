// The fused pointwise kernels of a time step (per cell, forward and backward), the fused
// softmax-cross-entropy, the row helpers and the sampler, at the sizes rnnkit's models run.
// Counters: elements per second.
#include <benchmark/benchmark.h>

#include <vector>

#include "nn/cell_kernels.h"
#include "rnnkit/cross_entropy.h"
#include "rnnkit/rng.h"
#include "rnnkit/sampler.h"
#include "tensor/row_ops.h"

namespace rnnkit {
namespace {

std::vector<float> random_vector(int64_t n, uint64_t seed, float scale = 2.0f) {
  Rng rng(seed);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = rng.uniform(-scale, scale);
  return v;
}

void batch_hidden(benchmark::internal::Benchmark* b) {
  b->ArgNames({"B", "H"})
      ->Args({128, 256})
      ->Args({32, 256})
      ->Args({20, 650})
      ->Args({1, 256})
      ->UseRealTime();
}

void set_elements(benchmark::State& state, int64_t per_iteration) {
  state.SetItemsProcessed(state.iterations() * per_iteration);
}

void BM_LstmForwardStep(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  std::vector<float> pre = random_vector(B * 4 * H, 1), gates(pre.size()),
                     c_prev = random_vector(B * H, 2);
  std::vector<float> c(B * H), h(B * H);
  for (auto _ : state) {
    state.PauseTiming();
    gates = pre;
    state.ResumeTiming();
    kernels::lstm_forward_step(B, H, gates.data(), c_prev.data(), c.data(), h.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, B * H);
}
BENCHMARK(BM_LstmForwardStep)->Apply(batch_hidden);

void BM_LstmBackwardStep(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  std::vector<float> act = random_vector(B * 4 * H, 1, 1.0f), gates(act.size());
  std::vector<float> c_prev = random_vector(B * H, 2), c = random_vector(B * H, 3),
                     dy = random_vector(B * H, 4);
  std::vector<float> dh_next = random_vector(B * H, 5), dc = random_vector(B * H, 6);
  for (auto _ : state) {
    state.PauseTiming();
    gates = act;
    state.ResumeTiming();
    kernels::lstm_backward_step(B, H, gates.data(), c_prev.data(), c.data(), dy.data(), H,
                                dh_next.data(), dc.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, B * H);
}
BENCHMARK(BM_LstmBackwardStep)->Apply(batch_hidden);

void BM_GruForwardStep(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  std::vector<float> pre = random_vector(B * 3 * H, 1), gates(pre.size()),
                     hproj = random_vector(B * 3 * H, 2);
  std::vector<float> bias = random_vector(3 * H, 3), hn(B * H), h_prev = random_vector(B * H, 4),
                     h(B * H);
  for (auto _ : state) {
    state.PauseTiming();
    gates = pre;
    state.ResumeTiming();
    kernels::gru_forward_step(B, H, gates.data(), nullptr, hproj.data(), bias.data(), hn.data(),
                              h_prev.data(), h.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, B * H);
}
BENCHMARK(BM_GruForwardStep)->Apply(batch_hidden);

void BM_GruBackwardStep(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  std::vector<float> act = random_vector(B * 3 * H, 1, 1.0f), gates(act.size()),
                     hn = random_vector(B * H, 2);
  std::vector<float> h_prev = random_vector(B * H, 3), dy = random_vector(B * H, 4),
                     dh = random_vector(B * H, 5);
  std::vector<float> dhproj(B * 3 * H), dh_direct(B * H);
  for (auto _ : state) {
    state.PauseTiming();
    gates = act;
    state.ResumeTiming();
    kernels::gru_backward_step(B, H, gates.data(), hn.data(), h_prev.data(), dy.data(), H,
                               dh.data(), dhproj.data(), dh_direct.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, B * H);
}
BENCHMARK(BM_GruBackwardStep)->Apply(batch_hidden);

void BM_RnnTanhForwardStep(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  std::vector<float> pre = random_vector(B * H, 1), gates(pre.size()), h(B * H);
  for (auto _ : state) {
    state.PauseTiming();
    gates = pre;
    state.ResumeTiming();
    kernels::rnn_forward_step(B, H, false, gates.data(), h.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, B * H);
}
BENCHMARK(BM_RnnTanhForwardStep)->Apply(batch_hidden);

void BM_RnnTanhBackwardStep(benchmark::State& state) {
  const int64_t B = state.range(0), H = state.range(1);
  std::vector<float> act = random_vector(B * H, 1, 1.0f), gates(act.size());
  std::vector<float> dy = random_vector(B * H, 2), dh = random_vector(B * H, 3);
  for (auto _ : state) {
    state.PauseTiming();
    gates = act;
    state.ResumeTiming();
    kernels::rnn_backward_step(B, H, false, gates.data(), dy.data(), H, dh.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, B * H);
}
BENCHMARK(BM_RnnTanhBackwardStep)->Apply(batch_hidden);

// Rows x vocabulary: one output-layer chunk of the poetry model, one PTB batch, one d2l batch.
void rows_vocab(benchmark::internal::Benchmark* b) {
  b->ArgNames({"N", "V"})->Args({505, 8293})->Args({700, 10000})->Args({1120, 28})->UseRealTime();
}

void BM_SoftmaxCrossEntropy(benchmark::State& state) {
  const int64_t N = state.range(0), V = state.range(1);
  std::vector<float> logits = random_vector(N * V, 1, 5.0f), grad(logits.size());
  std::vector<int32_t> targets(N);
  Rng rng(2);
  for (int32_t& t : targets) t = static_cast<int32_t>(rng.below(V));
  for (auto _ : state) {
    benchmark::DoNotOptimize(softmax_cross_entropy(logits.data(), N, V, V, targets.data(),
                                                   kIgnoreIndex, grad.data(), 1.0f / N));
    benchmark::ClobberMemory();
  }
  set_elements(state, N * V);
}
BENCHMARK(BM_SoftmaxCrossEntropy)->Apply(rows_vocab);

void BM_SoftmaxCrossEntropyLossOnly(benchmark::State& state) {
  const int64_t N = state.range(0), V = state.range(1);
  std::vector<float> logits = random_vector(N * V, 1, 5.0f);
  std::vector<int32_t> targets(N);
  Rng rng(2);
  for (int32_t& t : targets) t = static_cast<int32_t>(rng.below(V));
  for (auto _ : state)
    benchmark::DoNotOptimize(
        softmax_cross_entropy(logits.data(), N, V, V, targets.data(), kIgnoreIndex, nullptr, 1.0f));
  set_elements(state, N * V);
}
BENCHMARK(BM_SoftmaxCrossEntropyLossOnly)->Apply(rows_vocab);

void BM_AddBias(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  std::vector<float> x = random_vector(rows * cols, 1), bias = random_vector(cols, 2),
                     bias2 = random_vector(cols, 3);
  for (auto _ : state) {
    rows::add_bias(rows, cols, x.data(), cols, bias.data(), bias2.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, rows * cols);
}
BENCHMARK(BM_AddBias)
    ->ArgNames({"rows", "cols"})
    ->Args({15872, 1024})
    ->Args({505, 8293})
    ->UseRealTime();

void BM_AddColumnSums(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  std::vector<float> x = random_vector(rows * cols, 1), out(cols);
  for (auto _ : state) {
    rows::add_column_sums(rows, cols, x.data(), cols, out.data());
    benchmark::ClobberMemory();
  }
  set_elements(state, rows * cols);
}
BENCHMARK(BM_AddColumnSums)
    ->ArgNames({"rows", "cols"})
    ->Args({15872, 1024})
    ->Args({505, 8293})
    ->UseRealTime();

// One draw from the logits of a vocabulary, as batch-1 generation makes after every token:
// plain temperature sampling and top-k, over every token or through a mask that allows a
// scattered three quarters of them (a poem's: Han characters only).
void BM_SampleToken(benchmark::State& state) {
  const int64_t V = state.range(0);
  const std::vector<float> logits = random_vector(V, 7, 8.0f);
  const SamplingOptions options{.temperature = 1.0f,
                                .top_k = static_cast<int>(state.range(1)),
                                .top_p = static_cast<float>(state.range(3)) / 100.0f};
  std::vector<uint8_t> allowed;
  if (state.range(2) != 0) {
    Rng mask_rng(9);
    for (int64_t i = 0; i < V; ++i) allowed.push_back(mask_rng.below(4) != 0);
  }
  Rng rng(8);
  for (auto _ : state) benchmark::DoNotOptimize(sample_token(logits, options, rng, allowed));
  set_elements(state, V);
}
BENCHMARK(BM_SampleToken)
    ->ArgNames({"V", "top_k", "masked", "top_p%"})
    ->Args({8293, 0, 0, 100})
    ->Args({8293, 30, 0, 100})
    ->Args({8293, 0, 1, 100})
    ->Args({8293, 30, 1, 100})
    ->Args({8293, 0, 0, 90})
    ->Args({8293, 0, 1, 90})
    ->Args({10000, 0, 0, 100})
    ->UseRealTime();

}  // namespace
}  // namespace rnnkit
