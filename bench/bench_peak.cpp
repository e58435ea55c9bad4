// The machine's FP32 peak, the denominator of every "fraction of peak" in docs/BENCHMARKS.md:
// independent AVX-512 FMA chains (AVX2 ones on a CPU without AVX-512), enough of them to cover
// the FMA latency on both pipes, so nothing but the FMA throughput of one core limits the loop. The
// BF16 twin measures what the BF16 mode can gain at most: vdpbf16ps does twice an FMA's work per
// instruction, so it is twice the FP32 peak only where the core issues it as often as an FMA. The
// AMX twins measure the tile units (Sapphire Rapids and later), which the BF16 and int8 products
// could use.
#include <benchmark/benchmark.h>
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

// The AVX2 twin of BM_PeakFmaF32 (8 lanes), which runs it on a CPU without AVX-512.
__attribute__((target("avx2,fma"))) void fma_chains_avx2(benchmark::State& state) {
  // 12 chains and the two operands fill 14 of the 16 registers: 16 chains would spill.
  constexpr int kChains = 12;
  constexpr int64_t kIterations = 1 << 16;
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(0.001f * static_cast<float>(c));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (auto _ : state) {
    for (int64_t i = 0; i < kIterations; ++i)
      for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
    for (int c = 0; c < kChains; ++c) benchmark::DoNotOptimize(acc[c]);
  }
  // 8 lanes x 2 flops per FMA.
  state.counters["GFLOP/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kIterations * kChains * 16,
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

__attribute__((target("avx512f"))) void BM_PeakFmaF32(benchmark::State& state) {
  if (!__builtin_cpu_supports("avx512f")) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
      state.SkipWithError("no AVX-512 nor AVX2 with FMA");
      return;
    }
    state.SetLabel("avx2");
    fma_chains_avx2(state);
    return;
  }
  state.SetLabel("avx512");
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
// One thread: a core's peak; two: the machine's (the bench's hosts have two cores).
BENCHMARK(BM_PeakFmaF32)->UseRealTime()->Threads(1)->Threads(2);

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
// Two threads as well: the two cores' BF16 peak, the denominator of a two-thread --bf16 step, is
// measured rather than assumed twice one core's.
BENCHMARK(BM_PeakDotBf16)->UseRealTime()->Threads(1)->Threads(2);

// AMX needs the CPU (CPUID leaf 7: EDX bit 24 tiles, 22 BF16, 25 int8) and the kernel: Linux
// hands a process the 8 KiB tile state only on request, and without it the first tile
// instruction faults. Returns why AMX cannot run, or "" when it can.
std::string amx_unavailable(unsigned isa_bit, const char* isa) {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(edx >> 24 & 1) || !(edx >> isa_bit & 1))
    return std::string("the CPU has no ") + isa;
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) != 0)
    return std::string("the kernel refused the AMX tile state (arch_prctl ARCH_REQ_XCOMP_PERM: ") +
           std::strerror(errno) + ")";
  return "";
}

// Palette 1 with all 8 tiles at their largest, 16 rows of 64 bytes.
struct alignas(64) TileConfig {
  uint8_t palette = 1, start_row = 0, reserved[14] = {};
  uint16_t bytes_per_row[16] = {64, 64, 64, 64, 64, 64, 64, 64};
  uint8_t rows[16] = {16, 16, 16, 16, 16, 16, 16, 16};
};
static_assert(sizeof(TileConfig) == 64);

constexpr int64_t kAmxIterations = 1 << 14;

// Measures the rate of `products` (four tile products: C0..C3 in tiles 0-3 += A0|A1 in tiles 4,
// 5 times B0|B1 in tiles 6, 7, the 2x2 blocking of a tile GEMM, enough independent chains to
// cover a product's latency), each product `ops` operations, every operand tile 16 rows of 64
// bytes holding `operand_word`; skips with the reason where `isa` (CPUID leaf 7 EDX bit
// `isa_bit`) cannot run. Tile numbers are immediates, hence the lambda.
template <class Products>
__attribute__((target("amx-tile"))) void run_amx_peak(benchmark::State& state, unsigned isa_bit,
                                                      const char* isa, uint16_t operand_word,
                                                      const char* counter, double ops,
                                                      Products products) {
  if (const std::string why = amx_unavailable(isa_bit, isa); !why.empty()) {
    state.SkipWithError(why.c_str());
    return;
  }
  alignas(64) uint16_t operands[16 * 32];
  for (uint16_t& x : operands) x = operand_word;
  const TileConfig config;
  _tile_loadconfig(&config);
  _tile_loadd(4, operands, 64);
  _tile_loadd(5, operands, 64);
  _tile_loadd(6, operands, 64);
  _tile_loadd(7, operands, 64);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  for (auto _ : state)
    for (int64_t i = 0; i < kAmxIterations; ++i) products();
  _tile_release();
  state.counters[counter] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kAmxIterations * 4 * ops,
                         benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

// A 16x32 by 32x16 BF16 tile product: 16 x 16 x 32 multiply-adds, 2 flops each; the operands
// are about 1e-3 in bfloat16.
__attribute__((target("amx-tile,amx-bf16"))) void BM_PeakAmxBf16(benchmark::State& state) {
  run_amx_peak(state, 22, "AMX-BF16", 0x3a83, "GFLOP/s", 2 * 16 * 16 * 32, [] {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  });
}
BENCHMARK(BM_PeakAmxBf16)->UseRealTime();

// A 16x64 by 64x16 int8 tile product: 16 x 16 x 64 multiply-adds, 2 operations each; the
// operands are all 1.
__attribute__((target("amx-tile,amx-int8"))) void BM_PeakAmxInt8(benchmark::State& state) {
  run_amx_peak(state, 25, "AMX-INT8", 0x0101, "GOP/s", 2 * 16 * 16 * 64, [] {
    _tile_dpbssd(0, 4, 6);
    _tile_dpbssd(1, 4, 7);
    _tile_dpbssd(2, 5, 6);
    _tile_dpbssd(3, 5, 7);
  });
}
BENCHMARK(BM_PeakAmxInt8)->UseRealTime();

}  // namespace
