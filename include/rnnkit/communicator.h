#pragma once
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rnnkit {

// The processes of one data-parallel job and the collective operations training needs
// (docs/DISTRIBUTED.md). Every rank must call each collective in the same order. A job launched
// by mpirun or srun is an MPI world; anything else is one process whose collectives are copies.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;

  // In place: every rank ends with the element-wise sum over ranks.
  virtual void allreduce_sum(std::span<double> values) = 0;
  virtual void allreduce_sum(std::span<float> values) = 0;
  // Rank r's `mine` lands at all[r * mine.size()]; every rank passes the same size.
  virtual void allgather(std::span<const uint64_t> mine, std::span<uint64_t> all) = 0;
  virtual void allgather(std::span<const float> mine, std::span<float> all) = 0;
  // Root's values replace everyone's.
  virtual void broadcast(std::span<float> values, int root) = 0;
  virtual void broadcast(std::string& bytes, int root) = 0;
  // The same processes with their own ordering of collectives, so that one other thread may
  // use it while this one is in use (gradients reduced during the backward pass).
  virtual std::unique_ptr<Communicator> duplicate() = 0;
  // Stops every process of the job with `code`: the way out when one rank fails while the
  // others wait in a collective.
  [[noreturn]] virtual void abort(int code) = 0;
};

// This process's job, made on first use: MPI's world when a launcher (mpirun, srun) started the
// process, else a single process. Error when the launcher asks for several processes and this
// rnnkit was built without MPI (the message says how to get it).
Communicator& world();

// True when world() has more than one process; does not start MPI when no launcher is present.
bool distributed();

// Whether world() has been made in this process (MPI started, under a launcher): a command that
// never trained has no job to stop when it fails.
bool world_started();

// After an error on this rank of a data-parallel job, whose other ranks would wait for it in a
// collective forever: prints `error (rank r of N): message` to stderr and aborts the job. Returns
// (printing nothing) where there is no such job: one process, or one that never joined it.
void end_job_after_error(const std::string& message);

}  // namespace rnnkit
