#pragma once

namespace rnnkit {

// Threads used by the GEMM backend and rnnkit's own parallel loops (OpenMP). By default rnnkit
// uses the cores that other processes leave free: adapt_threads_to_load(), which the language
// model calls at the start of each batch and each generated token, looks at most every 0.5 s at
// how much CPU time other processes took (/proc/stat) and sets the thread count to the free
// cores, so that a busy core does not stall every synchronisation of a parallel loop.
// set_num_threads(n) pins the count to n instead: the adaptive count can change the rounding of
// some sums in the last bits from run to run, a pinned one gives bitwise repeatable results.
// set_num_threads(0) returns to the adaptive count. A negative count, or one above
// kMaxThreads (OpenMP's runtime crashes on a team of 100000), is an Error. The count is the
// process's: OpenMP keeps one per OS thread, so a thread that computes (a server's worker, a
// Python thread) takes it with apply_thread_count(), which adapt_threads_to_load() calls too.
inline constexpr int kMaxThreads = 1024;
void set_num_threads(int threads);
int num_threads();
// The count set_num_threads pinned, or 0 while the count adapts: what set_num_threads takes to
// return to the present setting.
int pinned_num_threads();
void adapt_threads_to_load();
void apply_thread_count();

}  // namespace rnnkit
