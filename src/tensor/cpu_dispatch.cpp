#include "rnnkit/cpu_dispatch.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

constexpr CpuPath kPaths[] = {CpuPath::Baseline, CpuPath::Avx2, CpuPath::Avx512};

CpuPath best_path() {
  return cpu_supports_path(CpuPath::Avx512) ? CpuPath::Avx512
         : cpu_supports_path(CpuPath::Avx2) ? CpuPath::Avx2
                                            : CpuPath::Baseline;
}

CpuPath path_from_environment() {
  const char* value = std::getenv("RNNKIT_CPU");
  const std::string choice = value ? value : "";
  if (choice.empty() || choice == "native") return best_path();
  for (CpuPath path : kPaths)
    if (choice == cpu_path_name(path)) {
      if (!cpu_supports_path(path))
        throw Error("RNNKIT_CPU=" + choice + ": this CPU cannot run that path (use native)");
      return path;
    }
  throw Error("RNNKIT_CPU=" + choice + " is not a CPU path: use baseline, avx2, avx512 or native");
}

std::atomic<CpuPath>& current_path() {
  static std::atomic<CpuPath> path{path_from_environment()};
  return path;
}

}  // namespace

bool cpu_supports_path(CpuPath path) {
#if defined(__x86_64__)
  switch (path) {
    case CpuPath::Baseline:
      return true;
    case CpuPath::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case CpuPath::Avx512:
      return __builtin_cpu_supports("avx512f");
  }
  return false;
#else
  return path == CpuPath::Baseline;
#endif
}

CpuPath cpu_path() {
  return current_path().load(std::memory_order_relaxed);
}

void set_cpu_path(CpuPath path) {
  if (!cpu_supports_path(path))
    throw Error(std::string("the ") + cpu_path_name(path) + " CPU path needs a CPU with " +
                (path == CpuPath::Avx512 ? "AVX-512F" : "AVX2 and FMA"));
  current_path().store(path);
}

const char* cpu_path_name(CpuPath path) {
  switch (path) {
    case CpuPath::Avx512:
      return "avx512";
    case CpuPath::Avx2:
      return "avx2";
    case CpuPath::Baseline:
      break;
  }
  return "baseline";
}

}  // namespace rnnkit
