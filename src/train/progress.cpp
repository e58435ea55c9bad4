#include "train/progress.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <filesystem>
#include <sstream>
#include <utility>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"
#include "rnnkit/trainer.h"

namespace rnnkit {
namespace {

// Per thread: the engine writes its records on the thread that called it.
thread_local MetricsObserver current_observer;

}  // namespace

ScopedMetricsObserver::ScopedMetricsObserver(MetricsObserver observer)
    : previous_(std::exchange(current_observer, std::move(observer))) {}

ScopedMetricsObserver::~ScopedMetricsObserver() {
  current_observer = std::move(previous_);
}

Progress::Progress(const std::string& run_dir, int64_t keep_until_step, int64_t keep_epochs,
                   bool writer)
    : path_(run_dir + "/metrics.jsonl"), terminal_(isatty(fileno(stderr))), writer_(writer) {
  if (!writer_) return;
  if (keep_until_step >= 0 && std::filesystem::exists(path_)) {
    // A resumed run drops the lines written after its checkpoint; the file is replaced whole,
    // so a crash while doing so leaves the old history, never half of it.
    std::ifstream in(path_);
    std::string line, kept;
    // A line that is no record (cut short by a crash, or damaged) is dropped with them.
    const auto integer = [](const nlohmann::json& j, const char* key) {
      const auto it = j.find(key);
      return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : int64_t{0};
    };
    int64_t damaged = 0;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      damaged += !j.is_object();
      if (!j.is_object() || integer(j, "step") > keep_until_step) continue;
      if (integer(j, "epoch") > keep_epochs) continue;
      kept += line + "\n";
    }
    write_file_atomically(path_, kept);
    if (damaged > 0)
      message(path_ + ": dropped " + counted(damaged, "line that is", "lines that are") +
              " no record (a write cut short by a stop, or a damaged file)");
  } else if (keep_until_step > 0) {
    message(path_ + " is missing: the records before step " + std::to_string(keep_until_step) +
            " are lost; the resumed run's follow");
  }
  metrics_.open(path_, std::ios::app);
  if (!metrics_) throw Error("cannot write " + path_);
}

void Progress::record(const nlohmann::json& event) {
  if (!writer_) return;
  errno = 0;
  metrics_ << event.dump() << "\n";
  metrics_.flush();
  if (!metrics_) {
    // The stream keeps no reason; the failed write(2) left it in errno.
    const int error = errno;
    throw Error("cannot write " + path_ + ": " +
                (error ? std::strerror(error) : "the write failed (is the disk full?)") +
                "; the last checkpoint in the run directory is kept");
  }
  if (current_observer) current_observer(event);
}

void Progress::sync() {
  if (!writer_) return;
  // fsync reaches the file's written pages through any descriptor of it.
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) ::close(fd);
    // The checkpoint that called it says what is kept.
    throw Error("cannot sync " + path_ + ": " + std::strerror(error));
  }
  ::close(fd);
}

// A reader of stderr that stops reading (mpirun once it is sent SIGTERM, which it passes on to
// the ranks a second later; a paused pager) must not stop the run with it: rank 0 blocked on a
// full pipe never reached the checkpoint of the stop. A line the pipe cannot take within 0.1 s
// is dropped instead (metrics.jsonl keeps every record), and so are the next ones at once until
// it takes one again; a file or a terminal always takes it.
bool Progress::stderr_takes_a_line() {
  pollfd out{STDERR_FILENO, POLLOUT, 0};
  stderr_stalled_ = !(::poll(&out, 1, stderr_stalled_ ? 0 : 100) > 0 && (out.revents & POLLOUT));
  return !stderr_stalled_;
}

void Progress::status(const std::string& text, bool log_line) {
  if (!writer_) return;
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", text.c_str());
    live_line_ = true;
  } else if (log_line && stderr_takes_a_line()) {
    std::fprintf(stderr, "%s\n", text.c_str());
  }
  std::fflush(stderr);
}

void Progress::message(const std::string& text) {
  if (!writer_ || !stderr_takes_a_line()) return;
  if (live_line_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  live_line_ = false;
  std::fflush(stderr);
}

void Progress::finish() {
  if (live_line_) std::fprintf(stderr, "\n");
  live_line_ = false;
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "?";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  std::ostringstream out;
  if (s >= 3600)
    out << s / 3600 << "h" << (s % 3600) / 60 << "m";
  else if (s >= 60)
    out << s / 60 << "m" << s % 60 << "s";
  else
    out << s << "s";
  return out.str();
}

}  // namespace rnnkit
