#include "serve/stop_signals.h"

#include <unistd.h>

#include <cerrno>

#include "rnnkit/error.h"

namespace rnnkit::serve {
namespace {

int wake_pipe[2] = {-1, -1};

void on_signal(int) {
  const char byte = 1;
  // Async-signal-safe; a full pipe already holds a wake-up, so the result does not matter.
  [[maybe_unused]] const ssize_t written = write(wake_pipe[1], &byte, 1);
}

}  // namespace

StopSignals::StopSignals(std::function<void()> on_stop) {
  if (pipe(wake_pipe) != 0) throw Error("cannot create a pipe for the stop signals");
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
  watcher_ = std::thread([this, on_stop = std::move(on_stop)] {
    char byte = 0;
    while (read(wake_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    if (!released_) on_stop();
  });
}

StopSignals::~StopSignals() {
  released_ = true;
  on_signal(0);
  watcher_.join();
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
  close(wake_pipe[0]);
  close(wake_pipe[1]);
  wake_pipe[0] = wake_pipe[1] = -1;
}

}  // namespace rnnkit::serve
