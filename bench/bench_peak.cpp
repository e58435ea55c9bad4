// The machine's FP32 peak, the denominator of every "fraction of peak" in docs/BENCHMARKS.md:
// independent AVX-512 FMA chains, enough of them to cover the FMA latency on both pipes, so
// nothing but the FMA throughput of one core limits the loop. The BF16 twin measures what the
// BF16 mode can gain at most: vdpbf16ps does twice an FMA's work per instruction, so it is
// twice the FP32 peak only where the core issues it as often as an FMA.
#include <benchmark/benchmark.h>
#include <immintrin.h>

namespace {

__attribute__((target("avx512f"))) void BM_PeakFmaF32(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f")) {
    state.SkipWithError("no AVX-512");
    return;
  }
  constexpr int kChains = 16;
  constexpr int64_t kIterations = 1 << 16;
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(0.001f * static_cast<float>(c));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (auto _ : state) {
    for (int64_t i = 0; i < kIterations; ++i)
      for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
    for (int c = 0; c < kChains; ++c) benchmark::DoNotOptimize(acc[c]);
  }
  // 16 lanes x 2 flops per FMA.
  state.counters["GFLOP/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kIterations * kChains * 32,
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_PeakFmaF32)->UseRealTime();

__attribute__((target("avx512f,avx512bf16"))) void BM_PeakDotBf16(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512bf16")) {
    state.SkipWithError("no AVX512_BF16");
    return;
  }
  constexpr int kChains = 16;
  constexpr int64_t kIterations = 1 << 16;
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(0.001f * static_cast<float>(c));
  const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-3f), _mm512_set1_ps(1e-3f));
  const __m512bh b = _mm512_cvtne2ps_pbh(_mm512_set1_ps(1e-4f), _mm512_set1_ps(1e-4f));
  for (auto _ : state) {
    for (int64_t i = 0; i < kIterations; ++i)
      for (int c = 0; c < kChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], a, b);
    for (int c = 0; c < kChains; ++c) benchmark::DoNotOptimize(acc[c]);
  }
  // 16 lanes x 2 products x 2 flops per vdpbf16ps.
  state.counters["GFLOP/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kIterations * kChains * 64,
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_PeakDotBf16)->UseRealTime();

}  // namespace
