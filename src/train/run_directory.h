#pragma once
#include <string>

namespace rnnkit {

// A run directory holds one run: last.safetensors, best.safetensors, state.bin (which commits a
// checkpoint) and metrics.jsonl. Creates `dir` for a fresh run; Error when it already holds a
// run, whose history would otherwise be lost.
void prepare_fresh_run_directory(const std::string& dir);

// The run directory held by this process for the life of the object: an advisory lock
// (flock) on DIR/.lock, which the system releases when the process ends, however it ends. Two
// processes (or two runs in one process) on one directory would interleave their checkpoints and
// metrics; the second gets an Error naming the holder's pid instead.
class RunDirectoryLock {
 public:
  explicit RunDirectoryLock(const std::string& dir);
  ~RunDirectoryLock();
  RunDirectoryLock(const RunDirectoryLock&) = delete;
  RunDirectoryLock& operator=(const RunDirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Removes the temporary files (".NAME.tmp-PID-N") that an atomic write killed half-way left in
// `dir`; the run that owns the directory calls it when it starts.
void remove_leftover_temporaries(const std::string& dir);

}  // namespace rnnkit
