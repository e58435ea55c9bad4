#pragma once

namespace rnnkit {

// The instruction set that rnnkit's own kernels (GEMVs, cell steps, row helpers, softmax,
// sampler, optimiser updates) are run with; oneDNN chooses its own (ONEDNN_MAX_CPU_ISA).
// Avx512 where the CPU has AVX-512F, Avx2 where it has AVX2 and FMA (most laptops and desktops:
// the vector kernels compiled for AVX2, the int8 products with AVX-VNNI where the CPU has it),
// Baseline otherwise. The environment variable RNNKIT_CPU ("baseline", "avx2", "avx512";
// "native" or unset: the best the CPU has) picks one, read once, on first use: forcing a
// lesser path tests it on a machine that would never take it.
enum class CpuPath { Baseline, Avx2, Avx512 };

CpuPath cpu_path();
// Overrides RNNKIT_CPU for the rest of the process; a path the CPU lacks is an Error.
void set_cpu_path(CpuPath path);
const char* cpu_path_name(CpuPath path);
// Whether this CPU can run the path.
bool cpu_supports_path(CpuPath path);

}  // namespace rnnkit
