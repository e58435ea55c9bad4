#include "train/run_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "rnnkit/error.h"
#include "rnnkit/file_io.h"

namespace rnnkit {

namespace fs = std::filesystem;

void prepare_fresh_run_directory(const std::string& dir) {
  if (fs::exists(dir) && !fs::is_directory(dir))
    throw Error(dir + " exists and is not a directory");
  if (fs::exists(fs::path(dir) / "state.bin"))
    throw Error(dir + " already holds a training run (state.bin); continue it with --resume " +
                dir + ", or train into another --out");
  // Files of a run but no state.bin: it has no checkpoint, so --resume cannot continue it. A run
  // still in its first epoch holds the lock, which names its process.
  for (const char* name : {"metrics.jsonl", "last.safetensors"})
    if (fs::exists(fs::path(dir) / name)) {
      if (fs::exists(fs::path(dir) / ".lock")) const RunDirectoryLock probe(dir);
      throw Error(dir + " already holds a training run with no checkpoint (" + name +
                  ", no state.bin: it stopped before its first checkpoint), so there is nothing "
                  "to resume; delete it, or train into another --out");
    }
  create_directories(dir);
}

RunDirectoryLock::RunDirectoryLock(const std::string& dir) {
  const std::string path = (fs::path(dir) / ".lock").string();
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) throw Error("cannot open " + path + ": " + std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    char holder[32] = {};
    const ssize_t read = ::pread(fd_, holder, sizeof holder - 1, 0);
    ::close(fd_);
    if (error != EWOULDBLOCK) throw Error("cannot lock " + path + ": " + std::strerror(error));
    throw Error(dir + " is in use by another training run" +
                (read > 0 ? " (process " + std::string(holder, static_cast<size_t>(read)) + ")"
                          : std::string()) +
                "; wait for it to end or stop it, or train into another --out");
  }
  // The holder's pid, for the message another process gets; without it (a failed write) the lock
  // holds all the same and that message names no process.
  const std::string pid = std::to_string(::getpid());
  [[maybe_unused]] const bool noted =
      ::ftruncate(fd_, 0) == 0 &&
      ::pwrite(fd_, pid.data(), pid.size(), 0) == static_cast<ssize_t>(pid.size());
}

RunDirectoryLock::~RunDirectoryLock() {
  ::close(fd_);  // releases the lock
}

void remove_leftover_temporaries(const std::string& dir) {
  try {
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file() && name.size() > 1 && name[0] == '.' &&
          name.find(".tmp-") != std::string::npos)
        fs::remove(entry.path());
    }
  } catch (const fs::filesystem_error& e) {
    throw Error("cannot remove the temporary files an interrupted write left in " + dir + " (" +
                e.code().message() + "): a run writes its checkpoints there, so the directory " +
                "must be writable");
  }
}

}  // namespace rnnkit
