#pragma once
#include <string>

namespace rnnkit {

// What started this process, read from the environment the launchers set.
struct Launcher {
  bool mpi = false;         // an MPI process manager: mpirun, or srun with PMIx / PMI-2
  int size = 1;             // processes asked for (0: the manager does not say)
  std::string description;  // "mpirun -np 4", for messages
  // srun started several tasks without an MPI process manager: each would train alone.
  bool srun_without_mpi = false;
};

Launcher detect_launcher();

}  // namespace rnnkit
