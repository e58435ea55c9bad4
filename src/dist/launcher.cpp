#include "dist/launcher.h"

#include <cstdlib>
#include <string>

namespace rnnkit {
namespace {

// The variable's positive integer value, -1 when unset, 0 when not a number.
int env_int(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return -1;
  char* end = nullptr;
  const long n = std::strtol(value, &end, 10);
  return *end == '\0' && n > 0 && n < (1 << 24) ? static_cast<int>(n) : 0;
}

}  // namespace

Launcher detect_launcher() {
  Launcher l;
  if (int n = env_int("OMPI_COMM_WORLD_SIZE"); n >= 0) {
    l = {true, n, "mpirun -np " + std::to_string(n), false};
  } else if (int p = env_int("PMI_SIZE"); p >= 0) {
    l = {true, p, "a PMI-2 launcher with " + std::to_string(p) + " processes", false};
  }
  const int tasks = env_int("SLURM_STEP_NUM_TASKS");
  if (!l.mpi && std::getenv("PMIX_RANK")) {
    // PMIx sets no size of its own; under srun --mpi=pmix the step's task count is the size.
    l = tasks > 0 ? Launcher{true, tasks,
                             "srun --mpi=pmix with " + std::to_string(tasks) + " tasks", false}
                  : Launcher{true, 0, "a PMIx launcher", false};
  }
  if (!l.mpi && tasks > 1) {
    l.srun_without_mpi = true;
    l.size = tasks;
    l.description = "srun with " + std::to_string(tasks) + " tasks";
  }
  return l;
}

}  // namespace rnnkit
