#pragma once
#include <atomic>
#include <csignal>
#include <functional>
#include <thread>

namespace rnnkit::serve {

// Runs `on_stop` on a thread of its own when SIGINT or SIGTERM arrives, where it may take locks
// and join threads, which a signal handler may not: the handler only writes a byte to a pipe
// that the watcher thread reads. Whichever thread the signal interrupts (OpenMP's included), the
// process is not killed. SIGPIPE is ignored, so a client that hangs up is a failed write, not
// the end of the process. One instance at a time.
class StopSignals {
 public:
  explicit StopSignals(std::function<void()> on_stop);
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_int_ {
  }, previous_term_{};
  std::atomic<bool> released_ = false;  // set before the destructor wakes the watcher
  std::thread watcher_;
};

}  // namespace rnnkit::serve
