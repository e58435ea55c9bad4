// world(): the single process, or the MPI job a launcher started (mpi_world.cpp, or
// no_mpi_world.cpp in a build without MPI).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "dist/launcher.h"
#include "dist/mpi_world.h"
#include "rnnkit/communicator.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

class SingleProcess : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  void allreduce_sum(std::span<double>) override {}
  void allreduce_sum(std::span<float>) override {}
  void allgather(std::span<const uint64_t> mine, std::span<uint64_t> all) override {
    std::copy(mine.begin(), mine.end(), all.begin());
  }
  void allgather(std::span<const float> mine, std::span<float> all) override {
    std::copy(mine.begin(), mine.end(), all.begin());
  }
  void broadcast(std::span<float>, int) override {}
  void broadcast(std::string&, int) override {}
  std::unique_ptr<Communicator> duplicate() override { return std::make_unique<SingleProcess>(); }
  [[noreturn]] void abort(int code) override { std::_Exit(code); }
};

std::unique_ptr<Communicator> make_world() {
  const Launcher launcher = detect_launcher();
  if (launcher.srun_without_mpi)
    throw Error(launcher.description +
                " but no MPI process manager: each task would train alone. Run `srun --mpi=pmix` "
                "(Debian's Open MPI has no PMI-2), or mpirun (docs/DISTRIBUTED.md)");
  if (!launcher.mpi || launcher.size == 1) return std::make_unique<SingleProcess>();
  return make_mpi_world(launcher);
}

std::atomic<bool> world_made{false};

}  // namespace

Communicator& world() {
  static const std::unique_ptr<Communicator> the_world = make_world();
  world_made = true;
  return *the_world;
}

bool world_started() {
  return world_made;
}

// A process that never joined the job (a failed eval under mpirun) only returns: starting MPI
// here would wait for ranks that have gone (the launcher ends the job when a process fails).
void end_job_after_error(const std::string& message) {
  try {
    if (!world_started() || !distributed()) return;
    Communicator& w = world();
    // Most errors (options, batch sizes) strike every rank alike: rank 0 prints its line and
    // aborts the job first, so the others' copies, if the abort has not stopped them yet, come
    // after it instead of interleaving with it.
    if (w.rank() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    std::cerr << "error (rank " << w.rank() << " of " << w.size() << "): " << message << "\n";
    w.abort(1);
  } catch (const std::exception&) {
    // No MPI to stop: this process's own exit is all there is.
  }
}

bool distributed() {
  const Launcher launcher = detect_launcher();
  return (launcher.mpi || launcher.srun_without_mpi) && launcher.size != 1 && world().size() > 1;
}

}  // namespace rnnkit
