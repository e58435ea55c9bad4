#include <omp.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/threads.h"

namespace rnnkit {
namespace {

// The count set_num_threads pinned, or 0 while the count adapts to the load.
std::atomic<int> pinned_threads{0};
// The count adapt_threads_to_load found, or 0 before its first look.
std::atomic<int> adaptive_threads{0};
// OpenMP's count before any was set (the cores, or OMP_NUM_THREADS): read when the library is
// loaded, before a thread's own setting could hide it.
const int initial_threads = omp_get_max_threads();

double monotonic_seconds() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// CPU seconds the whole machine spent busy (all but idle and iowait, from /proc/stat) and this
// process's own CPU seconds, at wall time `wall`.
struct LoadSample {
  double wall, busy, self;
};

std::optional<LoadSample> sample_load(double wall) {
  std::FILE* f = std::fopen("/proc/stat", "r");
  if (!f) return std::nullopt;
  unsigned long long v[8] = {};
  const int read = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
  std::fclose(f);
  if (read != 8) return std::nullopt;
  const double ticks = static_cast<double>(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
  timespec self{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &self);
  return LoadSample{wall, ticks / static_cast<double>(sysconf(_SC_CLK_TCK)),
                    static_cast<double>(self.tv_sec) + 1e-9 * static_cast<double>(self.tv_nsec)};
}

// Sets adaptive_threads to the cores other processes leave free, at most every 0.5 s.
void look_at_the_load() {
  static std::mutex mutex;
  static std::optional<LoadSample> last;
  std::lock_guard<std::mutex> lock(mutex);
  const double now = monotonic_seconds();
  // /proc/stat counts in ticks of 10 ms: half a second of two cores is 100 of them.
  if (last && now - last->wall < 0.5) return;
  const std::optional<LoadSample> sample = sample_load(now);
  if (!sample) return;
  if (last) {
    const double wall = sample->wall - last->wall;
    const double foreign =
        std::max(0.0, (sample->busy - last->busy) - (sample->self - last->self)) / wall;
    const int cores = omp_get_num_procs();
    adaptive_threads.store(std::clamp(static_cast<int>(std::lround(cores - foreign)), 1, cores));
  }
  last = sample;
}

}  // namespace

void set_num_threads(int threads) {
  if (threads < 0 || threads > kMaxThreads)
    throw Error("thread count (--threads) must be from 0 (adapt to the load) to " +
                std::to_string(kMaxThreads) + ", got " + std::to_string(threads));
  pinned_threads.store(threads);
  omp_set_num_threads(num_threads());
}

void adapt_threads_to_load() {
  if (pinned_threads.load() == 0) look_at_the_load();
  apply_thread_count();
}

void apply_thread_count() {
  const int threads = num_threads();
  if (omp_get_max_threads() != threads) omp_set_num_threads(threads);
}

int num_threads() {
  if (const int pinned = pinned_threads.load(); pinned > 0) return pinned;
  const int adaptive = adaptive_threads.load();
  return adaptive > 0 ? adaptive : initial_threads;
}

int pinned_num_threads() {
  return pinned_threads.load();
}

}  // namespace rnnkit
