#include "rnnkit/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "io/atomic_write.h"
#include "rnnkit/error.h"

namespace rnnkit {
namespace {

std::string failure(const std::string& verb, const std::string& path, int error_number) {
  return "cannot " + verb + " " + path + ": " + std::strerror(error_number);
}

// Closes the descriptor it owns; close() errors only matter on the write path, which closes
// explicitly and checks.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A name beside `path` (same directory, so rename() stays within one filesystem) that no other
// writer of this process uses: ".NAME.tmp-PID-N".
std::string temporary_name_beside(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  size_t slash = path.rfind('/');
  std::string directory = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  return directory + "." + base + ".tmp-" + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1));
}

// Gives a name beside `path` to what `make(name)` creates (0, else an errno), trying another name
// where one is taken (left behind by a crashed process with a reused pid); returns the name.
template <class Make>
std::string create_beside(const std::string& path, const std::string& given, Make make) {
  for (int attempt = 0;; ++attempt) {
    std::string name = temporary_name_beside(path);
    const int error_number = make(name);
    if (error_number == 0) return name;
    if (error_number != EEXIST || attempt >= 100)
      throw Error(failure("write", given, error_number));
  }
}

std::string parent_directory(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes and syncs `fd`; returns 0 or the errno of the first step that failed.
int write_and_sync(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    // write() may return less than asked (a full disk, a file size limit); the next call then
    // reports why.
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return ::fsync(fd) != 0 ? errno : 0;
}

// Where a write to `path` goes: through a symbolic link to its target (the link is kept, as a
// plain write keeps it); an Error for what a file must not replace: a directory, and a device or
// FIFO, which the rename would destroy (as root: /dev/full, /dev/stdout).
std::string write_target(const std::string& path) {
  std::string target = path;
  for (int links = 0;; ++links) {
    struct stat info {};
    if (::lstat(target.c_str(), &info) != 0) return target;  // a new file
    if (S_ISREG(info.st_mode)) return target;
    if (S_ISDIR(info.st_mode))
      throw Error("cannot write " + path + ": it is a directory; give a file name");
    if (!S_ISLNK(info.st_mode))
      throw Error("cannot write " + path + ": it is a " +
                  (S_ISFIFO(info.st_mode)   ? "FIFO"
                   : S_ISSOCK(info.st_mode) ? "socket"
                                            : "device") +
                  ", not a file; give a file name");
    if (links == 40) throw Error(failure("write", path, ELOOP));
    std::string link(static_cast<size_t>(info.st_size > 0 ? info.st_size : 4096), '\0');
    const ssize_t length = ::readlink(target.c_str(), link.data(), link.size());
    if (length < 0) throw Error(failure("write", path, errno));
    link.resize(static_cast<size_t>(length));
    target = link.starts_with('/') ? link : parent_directory(target) + "/" + link;
  }
}

// Closes `fd` and renames `temporary` over `path`, after writing it (error_number: the write's
// errno, or 0); on any failure the temporary is removed and an Error names `given`.
void close_and_rename(FileDescriptor& fd, const std::string& temporary, const std::string& path,
                      const std::string& given, int error_number) {
  // close() can report a delayed write error on some filesystems.
  if (error_number == 0 && ::close(fd.release()) != 0) error_number = errno;
  if (error_number == 0 && ::rename(temporary.c_str(), path.c_str()) != 0) error_number = errno;
  if (error_number != 0) {
    ::unlink(temporary.c_str());
    throw Error(failure("write", given, error_number));
  }
}

}  // namespace

void check_line_ends(std::string_view text, const std::string& source) {
  const size_t cr = text.find('\r');
  if (text.find('\n') == std::string_view::npos && cr != std::string_view::npos &&
      cr + 1 < text.size())
    throw Error(source + ": its lines end in CR alone (classic Mac OS); convert them to LF");
}

std::string read_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error(failure("read", path, errno));
  std::string bytes;
  struct stat info {};
  const bool known = ::fstat(fd.get(), &info) == 0;
  // A device has no end to read to (/dev/zero, /dev/urandom: memory would run out first); a pipe
  // or FIFO does, when its writer closes it.
  if (known && (S_ISCHR(info.st_mode) || S_ISBLK(info.st_mode)))
    throw Error("cannot read " + path + ": it is a device, not a file");
  if (known && info.st_size > 0) bytes.reserve(static_cast<size_t>(info.st_size));
  char chunk[1 << 16];
  for (;;) {
    ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(failure("read", path, errno));
    }
    if (got == 0) break;
    bytes.append(chunk, static_cast<size_t>(got));
  }
  return bytes;
}

namespace atomic_write {

bool through_unnamed_file(const std::string& path, const std::string& given,
                          std::string_view bytes) {
  if (::access("/proc/self/fd", F_OK) != 0) return false;
  FileDescriptor fd(::open(parent_directory(path).c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666));
  if (fd.get() < 0) return false;
  if (const int error_number = write_and_sync(fd.get(), bytes))
    throw Error(failure("write", given, error_number));
  // linkat(fd, "", ..., AT_EMPTY_PATH) needs CAP_DAC_READ_SEARCH; the /proc link does not.
  const std::string self = "/proc/self/fd/" + std::to_string(fd.get());
  const std::string temporary = create_beside(path, given, [&](const std::string& name) {
    return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0 ? 0
                                                                                            : errno;
  });
  close_and_rename(fd, temporary, path, given, 0);
  return true;
}

void through_named_file(const std::string& path, const std::string& given, std::string_view bytes) {
  int created = -1;
  const std::string temporary = create_beside(path, given, [&](const std::string& name) {
    created = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    return created >= 0 ? 0 : errno;
  });
  FileDescriptor fd(created);
  close_and_rename(fd, temporary, path, given, write_and_sync(fd.get(), bytes));
}

}  // namespace atomic_write

void write_file_atomically(const std::string& given, std::string_view bytes) {
  const std::string path = write_target(given);
  if (!atomic_write::through_unnamed_file(path, given, bytes))
    atomic_write::through_named_file(path, given, bytes);
  // The rename is only durable once the directory entry is on disk. Some filesystems cannot sync
  // a directory (EINVAL); the file itself is complete there, so that is not a failure.
  std::string directory = parent_directory(path);
  FileDescriptor directory_fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (directory_fd.get() < 0 || (::fsync(directory_fd.get()) != 0 && errno != EINVAL))
    throw Error("wrote " + path + " but cannot sync its directory " + directory + ": " +
                std::strerror(errno));
}

void create_directories(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error("cannot create the directory " + dir + ": " + error.message());
}

}  // namespace rnnkit
