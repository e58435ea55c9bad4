// Built instead of mpi_world.cpp when CMake finds no MPI.
#include "dist/mpi_world.h"
#include "rnnkit/error.h"

namespace rnnkit {

std::unique_ptr<Communicator> make_mpi_world(const Launcher& launcher) {
  throw Error("started by " + launcher.description +
              ", but this rnnkit was built without MPI. Install Open MPI (apt-get install "
              "libopenmpi-dev openmpi-bin) and build again: CMake finds it (docs/DISTRIBUTED.md)");
}

}  // namespace rnnkit
