#pragma once
#include <memory>

#include "dist/launcher.h"
#include "rnnkit/communicator.h"

namespace rnnkit {

// MPI_COMM_WORLD, MPI initialised with thread support for a second communicating thread and
// finalised when the communicator goes. In a build without MPI: Error saying how to get it.
std::unique_ptr<Communicator> make_mpi_world(const Launcher& launcher);

}  // namespace rnnkit
