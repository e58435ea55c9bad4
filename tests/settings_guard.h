#pragma once
#include "rnnkit/cpu_dispatch.h"
#include "rnnkit/precision.h"
#include "rnnkit/threads.h"

// Restores the process-wide settings a test changes: the matmul precision, the thread count and
// the CPU path.
struct SettingsGuard {
  rnnkit::Precision precision = rnnkit::matmul_precision();
  int threads = rnnkit::num_threads();
  rnnkit::CpuPath path = rnnkit::cpu_path();
  ~SettingsGuard() {
    rnnkit::set_matmul_precision(precision);
    rnnkit::set_num_threads(threads);
    rnnkit::set_cpu_path(path);
  }
};
