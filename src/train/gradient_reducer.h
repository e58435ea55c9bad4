#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rnnkit/communicator.h"
#include "rnnkit/gradient_sink.h"
#include "rnnkit/language_model.h"

namespace rnnkit {

// Communication of one step, for --profile and metrics.jsonl: the seconds the all-reduces took
// (on their own thread) and the seconds the step waited for them after its backward pass; the
// difference was hidden behind the backward pass.
struct CommunicationTime {
  double reducing = 0;
  double waiting = 0;
};

// Sums the gradients of data-parallel training over the processes (docs/DISTRIBUTED.md). The
// parameters lie in one buffer in the order backward passes finish them (the reverse of the
// model's order: output layer first), cut into buckets; a bucket goes to a communicating thread
// as soon as all its parameters are reported, so that its all-reduce runs while the backward pass
// goes on. Buckets are reduced in buffer order on every rank, whatever order reports arrive in.
class GradientReducer : public GradientSink {
 public:
  GradientReducer(Communicator& world, const ParameterList& params);
  ~GradientReducer() override;

  // Gradients of the mean loss over `count` local items: sent as sums (times count).
  void gradients_ready(const ParameterList& params, int64_t count) override;
  // After a batch's backward pass: reports what was not reported (gradients of the mean over
  // local.count), agrees on `stop` (any rank's), waits for every bucket and leaves in each
  // gradient that of the global mean loss. Returns the global loss sum and count.
  LossResult finish(const LossResult& local, bool& stop);
  const CommunicationTime& last_step() const { return time_; }

 private:
  struct Bucket {
    size_t begin = 0, end = 0;
    int pending = 0;  // parameters overlapping it not yet reported
  };
  void start_step();  // nothing reported, no bucket submitted
  void submit_ready_buckets();
  void communicate();

  Communicator& world_;
  std::unique_ptr<Communicator> gradients_comm_;  // used only by the communicating thread
  ParameterList params_;                          // buffer order
  std::unordered_map<const Parameter*, size_t> index_;
  std::vector<size_t> offset_;
  std::vector<char> reported_;
  std::vector<Bucket> buckets_;
  std::vector<float> buffer_;
  size_t next_submit_ = 0;

  std::mutex mutex_;
  std::condition_variable changed_;
  size_t submitted_ = 0, reduced_ = 0;
  bool quit_ = false;
  std::exception_ptr failure_;
  double reducing_seconds_ = 0;
  CommunicationTime time_;
  std::thread thread_;
};

}  // namespace rnnkit
