// Whole layers at the sizes rnnkit's models run: a recurrent layer's forward and backward over a
// sequence, the batch-1 generation step of the poetry model, the optimiser updates, the
// embedding. Counters: GFLOP/s from the analytic matrix-product FLOPs where there are any.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <cstdlib>
#include <vector>

#include "rnnkit/adam.h"
#include "rnnkit/embedding.h"
#include "rnnkit/language_model.h"
#include "rnnkit/recurrent_layer.h"
#include "rnnkit/rng.h"
#include "rnnkit/sgd.h"
#include "rnnkit/threads.h"
#include "skipped_without_bf16.h"

namespace rnnkit {
namespace {

void fill_uniform(Tensor& t, Rng& rng, float k) {
  for (float& v : t.span()) v = rng.uniform(-k, k);
}

// Args: cell (0 rnn_tanh, 2 lstm, 3 gru), T, B, input size, hidden size.
void layer_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"cell", "T", "B", "I", "H"});
  b->Args({2, 124, 128, 128, 256});  // poetry layer 0
  b->Args({2, 124, 128, 256, 256});  // poetry layer 1
  b->Args({0, 35, 32, 28, 256});     // d2l RNN
  b->Args({2, 35, 32, 28, 256});     // d2l LSTM
  b->Args({3, 35, 32, 28, 256});     // d2l GRU
  b->Args({2, 35, 20, 650, 650});    // PTB-medium layer
  b->UseRealTime();
}

CellKind cell_of_arg(int64_t code) {
  const CellKind cells[] = {CellKind::RnnTanh, CellKind::RnnRelu, CellKind::Lstm, CellKind::Gru};
  return cells[code];
}

struct LayerSetup {
  CellKind cell;
  int64_t T, B, I, H;
  RecurrentLayer layer;
  Tensor x, y, dy, dx;
  explicit LayerSetup(const benchmark::State& state)
      : cell(cell_of_arg(state.range(0))),
        T(state.range(1)),
        B(state.range(2)),
        I(state.range(3)),
        H(state.range(4)),
        layer(cell, I, H, false, "rnn", "_l0"),
        x({T, B, I}),
        y({T, B, H}),
        dy({T, B, H}),
        dx({T, B, I}) {
    Rng rng(1);
    for (Parameter* p : layer.parameters()) fill_uniform(p->value, rng, 0.0625f);
    fill_uniform(x, rng, 1.0f);
    fill_uniform(dy, rng, 1.0f);
  }
  double forward_flop() const { return 2.0 * gate_count(cell) * H * (I + H) * T * B; }
  double backward_flop() const { return 2.0 * gate_count(cell) * H * (2 * I + 2 * H) * T * B; }
};

void BM_RecurrentLayerForward(benchmark::State& state) {
  LayerSetup s(state);
  for (auto _ : state)
    s.layer.forward(s.x.data(), s.I, s.T, s.B, nullptr, nullptr, s.y.data(), s.H, nullptr, nullptr);
  state.counters["GFLOP/s"] =
      benchmark::Counter(s.forward_flop() * state.iterations(), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}
BENCHMARK(BM_RecurrentLayerForward)->Apply(layer_shapes);

// Forward (untimed, it fills the cache backward consumes) then the timed backward.
void BM_RecurrentLayerBackward(benchmark::State& state) {
  LayerSetup s(state);
  for (auto _ : state) {
    state.PauseTiming();
    s.layer.forward(s.x.data(), s.I, s.T, s.B, nullptr, nullptr, s.y.data(), s.H, nullptr, nullptr);
    state.ResumeTiming();
    s.layer.backward(s.dy.data(), s.H, nullptr, nullptr, s.dx.data(), s.I, false, nullptr, nullptr);
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(s.backward_flop() * state.iterations(), benchmark::Counter::kIsRate,
                         benchmark::Counter::kIs1000);
}
BENCHMARK(BM_RecurrentLayerBackward)->Apply(layer_shapes);

LMConfig poetry_config() {
  LMConfig c;
  c.cell = CellKind::Lstm;
  c.vocab_size = 8293;
  c.embedding_dim = 128;
  c.hidden_size = 256;
  c.num_layers = 2;
  return c;
}

// `rows` tokens of generation, one a row, the rows' tokens scrambled after each step; the
// counter is the tokens of all rows per second. The thread count is pinned to OMP_NUM_THREADS
// (bench/micro.sh --threads), as a server's --threads pins it: a step adapts it to the load
// otherwise, and a host's steal time alone took a run of two threads down to one.
void run_generation_steps(benchmark::State& state, const LMConfig& config, int64_t rows) {
  const char* threads = std::getenv("OMP_NUM_THREADS");
  set_num_threads(threads ? std::atoi(threads) : omp_get_num_procs());
  LanguageModel model(config);
  Rng rng(1);
  model.reset_parameters(rng);
  LMState lm_state;
  Tensor logits;
  std::vector<int32_t> tokens(static_cast<size_t>(rows));
  for (int64_t b = 0; b < rows; ++b) tokens[static_cast<size_t>(b)] = static_cast<int32_t>(b + 1);
  // Untimed: the first step computes the embedding's table of first-layer gates (an [V, 4H]
  // product, as a loaded model's first token does once), which would weigh on a short run.
  model.step(tokens, lm_state, logits);
  for (auto _ : state) {
    model.step(tokens, lm_state, logits);
    for (int32_t& token : tokens)
      token = static_cast<int32_t>((token * 7919 + 1) % config.vocab_size);
  }
  set_num_threads(0);
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(state.iterations() * rows),
                                                  benchmark::Counter::kIsRate);
}

// One token of generation with the poetry model for one sequence (batch-1 generation) or a
// decode batch of several (batched serving): embedding, two LSTM steps, the output layer, with
// float32 weights, bfloat16 copies (BF16 precision) or int8 ones (a quantized model); weights: 0
// f32, 1 bf16, 2 int8.
void BM_GenerationStep(benchmark::State& state) {
  const int64_t weights = state.range(0), rows = state.range(1);
  if (weights == 1 && skipped_without_bf16(state)) return;
  LMConfig config = poetry_config();
  config.int8_weights = weights == 2;
  set_matmul_precision(weights == 1 ? Precision::BF16 : Precision::F32);
  run_generation_steps(state, config, rows);
  set_matmul_precision(Precision::F32);
}
BENCHMARK(BM_GenerationStep)
    ->ArgNames({"weights", "rows"})
    ->ArgsProduct({{0, 1, 2}, {1, 8}})
    ->UseRealTime();

// A step of the shipped poem model's shape (models/tang_lstm.safetensors: two LSTM layers of 512
// with projections to 256, 8,702 characters, the output layer tied to the embedding), float32,
// for one row or a decode batch: what bench/serve_batching.sh's server runs per token.
void BM_PoemModelStep(benchmark::State& state) {
  LMConfig config = poetry_config();
  config.vocab_size = 8702;
  config.embedding_dim = 256;
  config.hidden_size = 512;
  config.proj_size = 256;
  config.tie_weights = true;
  run_generation_steps(state, config, state.range(0));
}
BENCHMARK(BM_PoemModelStep)->ArgName("rows")->Arg(1)->Arg(4)->Arg(8)->Arg(16)->UseRealTime();

void BM_AdamStep(benchmark::State& state) {
  LanguageModel model(poetry_config());
  Adam adam(model.parameters(), AdamOptions{});
  for (auto _ : state) adam.step();
  state.SetItemsProcessed(state.iterations() * model.parameter_count());
}
BENCHMARK(BM_AdamStep)->UseRealTime();

void BM_SgdStep(benchmark::State& state) {
  LanguageModel model(poetry_config());
  SGD sgd(model.parameters(), SGDOptions{});
  for (auto _ : state) sgd.step();
  state.SetItemsProcessed(state.iterations() * model.parameter_count());
}
BENCHMARK(BM_SgdStep)->UseRealTime();

void BM_EmbeddingForwardBackward(benchmark::State& state) {
  Embedding embedding(8293, 128);
  std::vector<int32_t> ids(124 * 128);
  Rng rng(1);
  for (int32_t& id : ids) id = static_cast<int32_t>(rng.below(8293));
  Tensor out({124, 128, 128});
  for (auto _ : state) {
    embedding.forward(ids, out.data());
    embedding.backward(ids, out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(ids.size()));
}
BENCHMARK(BM_EmbeddingForwardBackward)->UseRealTime();

}  // namespace
}  // namespace rnnkit
