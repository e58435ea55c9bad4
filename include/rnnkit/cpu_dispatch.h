#pragma once

namespace rnnkit {

// The instruction set that rnnkit's own kernels (GEMVs, cell steps, row helpers, softmax,
// sampler, optimiser updates) are run with; oneDNN chooses its own (ONEDNN_MAX_CPU_ISA).
// Avx512 where the CPU has AVX-512F, Baseline otherwise or where the environment variable
// RNNKIT_CPU is "baseline" (read once, on first use; "native" or unset picks the best path). The
// baseline path is what runs on any x86-64 CPU, so forcing it tests that path on a machine that
// would never take it.
enum class CpuPath { Baseline, Avx512 };

CpuPath cpu_path();
// Overrides RNNKIT_CPU for the rest of the process; Avx512 on a CPU without it is an Error.
void set_cpu_path(CpuPath path);
const char* cpu_path_name(CpuPath path);

}  // namespace rnnkit
