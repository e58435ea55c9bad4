#include "rnnkit/cpu_dispatch.h"

#include <atomic>
#include <cstdlib>
#include <string>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

bool cpu_has_avx512() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f");
#else
  return false;
#endif
}

CpuPath path_from_environment() {
  const char* value = std::getenv("RNNKIT_CPU");
  const std::string choice = value ? value : "";
  if (choice == "baseline") return CpuPath::Baseline;
  if (choice.empty() || choice == "native")
    return cpu_has_avx512() ? CpuPath::Avx512 : CpuPath::Baseline;
  throw Error("RNNKIT_CPU=" + choice + " is not a CPU path: use baseline or native");
}

std::atomic<CpuPath>& current_path() {
  static std::atomic<CpuPath> path{path_from_environment()};
  return path;
}

}  // namespace

CpuPath cpu_path() {
  return current_path().load(std::memory_order_relaxed);
}

void set_cpu_path(CpuPath path) {
  if (path == CpuPath::Avx512 && !cpu_has_avx512())
    throw Error("the avx512 CPU path needs a CPU with AVX-512F");
  current_path().store(path);
}

const char* cpu_path_name(CpuPath path) {
  return path == CpuPath::Avx512 ? "avx512" : "baseline";
}

}  // namespace rnnkit
