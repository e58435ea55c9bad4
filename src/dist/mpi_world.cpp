// The MPI world (Open MPI): collectives with errors returned as rnnkit::Error.
#include <mpi.h>

#include <climits>

#include "dist/mpi_world.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

void check(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(code, text, &length);
  throw Error(std::string(what) + " failed: " + std::string(text, length));
}

int count_of(size_t n) {
  if (n > static_cast<size_t>(INT_MAX))
    throw Error("a collective of " + std::to_string(n) + " elements exceeds MPI's int counts");
  return static_cast<int>(n);
}

class MpiCommunicator : public Communicator {
 public:
  // `owned`: a duplicate, freed with this object; MPI_COMM_WORLD's object finalises MPI.
  MpiCommunicator(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  ~MpiCommunicator() override {
    if (owned_)
      MPI_Comm_free(&comm_);
    else
      MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(std::span<double> v) override {
    check(MPI_Allreduce(MPI_IN_PLACE, v.data(), count_of(v.size()), MPI_DOUBLE, MPI_SUM, comm_),
          "MPI_Allreduce");
  }
  void allreduce_sum(std::span<float> v) override {
    check(MPI_Allreduce(MPI_IN_PLACE, v.data(), count_of(v.size()), MPI_FLOAT, MPI_SUM, comm_),
          "MPI_Allreduce");
  }
  void allgather(std::span<const uint64_t> mine, std::span<uint64_t> all) override {
    check(MPI_Allgather(mine.data(), count_of(mine.size()), MPI_UINT64_T, all.data(),
                        count_of(mine.size()), MPI_UINT64_T, comm_),
          "MPI_Allgather");
  }
  void allgather(std::span<const float> mine, std::span<float> all) override {
    check(MPI_Allgather(mine.data(), count_of(mine.size()), MPI_FLOAT, all.data(),
                        count_of(mine.size()), MPI_FLOAT, comm_),
          "MPI_Allgather");
  }
  void broadcast(std::span<float> v, int root) override {
    check(MPI_Bcast(v.data(), count_of(v.size()), MPI_FLOAT, root, comm_), "MPI_Bcast");
  }
  void broadcast(std::string& bytes, int root) override {
    uint64_t n = bytes.size();
    check(MPI_Bcast(&n, 1, MPI_UINT64_T, root, comm_), "MPI_Bcast");
    bytes.resize(n);
    check(MPI_Bcast(bytes.data(), count_of(n), MPI_CHAR, root, comm_), "MPI_Bcast");
  }
  std::unique_ptr<Communicator> duplicate() override {
    MPI_Comm copy;
    check(MPI_Comm_dup(comm_, &copy), "MPI_Comm_dup");
    return std::make_unique<MpiCommunicator>(copy, true);
  }
  [[noreturn]] void abort(int code) override {
    MPI_Abort(comm_, code);
    std::_Exit(code);
  }

 private:
  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::unique_ptr<Communicator> make_mpi_world(const Launcher& launcher) {
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided), "MPI_Init_thread");
  if (provided < MPI_THREAD_MULTIPLE) {
    MPI_Finalize();
    throw Error("the MPI library of " + launcher.description +
                " lacks MPI_THREAD_MULTIPLE, which rnnkit's overlapped gradient reduction needs");
  }
  return std::make_unique<MpiCommunicator>(MPI_COMM_WORLD, false);
}

}  // namespace rnnkit
