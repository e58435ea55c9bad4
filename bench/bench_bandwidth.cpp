// The machine's read bandwidth, the limit of batch-1 generation, which reads every weight once
// per token: a streaming read of a buffer far larger than the caches, and a buffer the size of a
// model's weights read again and again (from the last-level cache when it fits there, as the
// weights are between tokens), by 1 and by 2 threads (each reading its half).
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdlib>

namespace {

constexpr size_t kBufferBytes = size_t{1} << 30;

// Allocated and written once (by the first thread to ask), so that every page is backed.
const uint64_t* stream_buffer() {
  static const uint64_t* buffer = [] {
    auto* p = static_cast<uint64_t*>(std::aligned_alloc(64, kBufferBytes));
    for (size_t i = 0; i < kBufferBytes / sizeof(uint64_t); ++i) p[i] = i;
    return p;
  }();
  return buffer;
}

// Integer sums vectorise without reassociating floating point; eight of them keep several loads
// in flight.
uint64_t sum(const uint64_t* p, size_t n) {
  uint64_t acc[8] = {};
  for (size_t i = 0; i < n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += p[i + k];
  uint64_t total = 0;
  for (uint64_t a : acc) total += a;
  return total;
}

void BM_StreamRead(benchmark::State& state) {
  const uint64_t* buffer = stream_buffer();
  const size_t words = kBufferBytes / sizeof(uint64_t) / static_cast<size_t>(state.threads());
  const uint64_t* slice = buffer + words * static_cast<size_t>(state.thread_index());
  for (auto _ : state) benchmark::DoNotOptimize(sum(slice, words));
  // Summed over the threads by Google Benchmark: the machine's rate.
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(words * sizeof(uint64_t)));
}
BENCHMARK(BM_StreamRead)->UseRealTime()->Threads(1)->Threads(2);

// Argument: the buffer in KiB. 11,877 KiB is the FP32 poetry model's weights that a generated token
// reads (W_ih, W_hh of both layers, the output layer: 3,040,512 floats); 5,939 as BF16, 2,970 as
// int8. The first pass fills the caches; the figure is the rate of the passes that follow.
// 65,536 and 262,144 KiB (64 and 256 MiB) show where the last-level cache a guest gets ends: a
// training step's weights and gradients (PTB-medium's 158 MB) are read at the rate of one or the
// other.
void BM_CacheRead(benchmark::State& state) {
  const size_t words = static_cast<size_t>(state.range(0)) * 1024 / sizeof(uint64_t) /
                       static_cast<size_t>(state.threads());
  const uint64_t* slice = stream_buffer() + words * static_cast<size_t>(state.thread_index());
  benchmark::DoNotOptimize(sum(slice, words));
  for (auto _ : state) benchmark::DoNotOptimize(sum(slice, words));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(words * sizeof(uint64_t)));
}
BENCHMARK(BM_CacheRead)
    ->UseRealTime()
    ->Arg(11877)
    ->Arg(5939)
    ->Arg(2970)
    ->Arg(65536)
    ->Arg(262144)
    ->Threads(1)
    ->Threads(2);

}  // namespace
