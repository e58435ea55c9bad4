#include "error_of.h"
#include "io/atomic_write.h"
#include "rnnkit/file_io.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "rnnkit/error.h"

namespace fs = std::filesystem;

namespace {

using rnnkit::testing::error_of;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "rnnkit_file_io_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_plain(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string read_plain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<std::string> entries_of(const fs::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The Error message of `write` run under a 4,096-byte file size limit, with SIGXFSZ ignored so
// that write() fails with EFBIG (as a full disk with ENOSPC) instead of ending the process;
// unlike permissions the limit also binds root.
std::string error_past_size_limit(const std::function<void()>& write) {
  rlimit saved{};
  if (::getrlimit(RLIMIT_FSIZE, &saved) != 0) return "getrlimit failed";
  rlimit limited = saved;
  limited.rlim_cur = 4096;
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  if (::setrlimit(RLIMIT_FSIZE, &limited) != 0) return "setrlimit failed";
  std::string message = error_of(write);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);
  return message;
}

}  // namespace

TEST(FileIo, ReadFileReturnsEveryByte) {
  TempDir dir;
  std::string bytes("a\0b\n\xff\r\n", 7);
  write_plain(dir / "f.bin", bytes);
  EXPECT_EQ(rnnkit::read_file(dir / "f.bin"), bytes);
}

TEST(FileIo, ReadFileReadsLargeFilesCompletely) {
  TempDir dir;
  std::string bytes(300000, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 7 % 251);
  write_plain(dir / "big", bytes);
  EXPECT_EQ(rnnkit::read_file(dir / "big"), bytes);
}

TEST(FileIo, ReadFileErrorsNameThePathAndReason) {
  TempDir dir;
  std::string missing = dir / "missing.txt";
  EXPECT_EQ(error_of([&] { rnnkit::read_file(missing); }),
            "cannot read " + missing + ": No such file or directory");
  EXPECT_EQ(error_of([&] { rnnkit::read_file(dir.path().string()); }),
            "cannot read " + dir.path().string() + ": Is a directory");
}

// A device never ends (/dev/zero would fill the memory); a pipe ends when its writer closes.
TEST(FileIo, ReadFileRefusesADeviceAndReadsAPipe) {
  EXPECT_EQ(error_of([] { rnnkit::read_file("/dev/zero"); }),
            "cannot read /dev/zero: it is a device, not a file");
  int ends[2];
  ASSERT_EQ(pipe(ends), 0);
  ASSERT_EQ(write(ends[1], "piped", 5), 5);
  close(ends[1]);
  EXPECT_EQ(rnnkit::read_file("/proc/self/fd/" + std::to_string(ends[0])), "piped");
  close(ends[0]);
}

TEST(FileIo, WriteCreatesAFileAndLeavesNoTemporary) {
  TempDir dir;
  rnnkit::write_file_atomically(dir / "new.bin", std::string("x\0y", 3));
  EXPECT_EQ(read_plain(dir / "new.bin"), std::string("x\0y", 3));
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"new.bin"});
}

TEST(FileIo, WriteToADirectorySaysSoWithOrWithoutItsSlash) {
  TempDir dir;
  const std::string target = dir / "out";
  std::filesystem::create_directory(target);
  for (const std::string& path : {target, target + "/"})
    EXPECT_EQ(error_of([&] { rnnkit::write_file_atomically(path, "x"); }),
              "cannot write " + path + ": it is a directory; give a file name");
  EXPECT_TRUE(std::filesystem::is_empty(target));
}

// A rename over a device or FIFO would destroy it (as root, /dev/full became a file): refused.
// A symbolic link is written through, the link kept, as a plain write would.
TEST(FileIo, WriteRefusesADeviceOrFifoAndWritesThroughALink) {
  TempDir dir;
  const std::string fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(error_of([&] { rnnkit::write_file_atomically(fifo, "x"); }),
            "cannot write " + fifo + ": it is a FIFO, not a file; give a file name");
  EXPECT_FALSE(fs::is_regular_file(fifo));  // (a device takes the same path; none is put at risk)

  write_plain(dir / "target", "old");
  fs::create_symlink("target", dir / "link");
  fs::create_symlink(dir / "missing", dir / "dangling");
  rnnkit::write_file_atomically(dir / "link", "new");
  rnnkit::write_file_atomically(dir / "dangling", "made");
  EXPECT_TRUE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(rnnkit::read_file(dir / "target"), "new");
  EXPECT_TRUE(fs::is_symlink(dir / "dangling"));
  EXPECT_EQ(rnnkit::read_file(dir / "missing"), "made");
}

TEST(FileIo, WriteReplacesAnExistingFile) {
  TempDir dir;
  write_plain(dir / "f.txt", "a much longer old content that must disappear entirely");
  rnnkit::write_file_atomically(dir / "f.txt", "new");
  EXPECT_EQ(read_plain(dir / "f.txt"), "new");
  rnnkit::write_file_atomically(dir / "f.txt", "");
  EXPECT_EQ(read_plain(dir / "f.txt"), "");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"f.txt"});
}

TEST(FileIo, WriteToAPathWithoutDirectoryUsesTheWorkingDirectory) {
  TempDir dir;
  fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  std::string message = error_of([] { rnnkit::write_file_atomically("plain.txt", "here"); });
  fs::current_path(previous);
  EXPECT_EQ(message, "(no error)");
  EXPECT_EQ(read_plain(dir / "plain.txt"), "here");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"plain.txt"});
}

TEST(FileIo, WriteUnderARegularFileFailsEvenForRoot) {
  TempDir dir;
  write_plain(dir / "file", "keep");
  std::string target = dir / "file/model.safetensors";
  EXPECT_EQ(error_of([&] { rnnkit::write_file_atomically(target, "data"); }),
            "cannot write " + target + ": Not a directory");
  EXPECT_EQ(read_plain(dir / "file"), "keep");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"file"});
}

TEST(FileIo, FailedRenameRemovesTheTemporaryAndKeepsTheTarget) {
  TempDir dir;
  fs::create_directory(dir / "target");
  write_plain(dir / "target/inside", "untouched");
  std::string message = error_of([&] { rnnkit::write_file_atomically(dir / "target", "data"); });
  EXPECT_NE(message.find("cannot write " + (dir / "target")), std::string::npos) << message;
  EXPECT_EQ(read_plain(dir / "target/inside"), "untouched");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"target"});
}

// A write stopped short by a full disk (here a file size limit) keeps the old file.
TEST(FileIo, ShortWriteKeepsTheOldFileIntact) {
  TempDir dir;
  std::string target = dir / "checkpoint";
  write_plain(target, "old checkpoint");
  std::string big(1 << 16, 'z');

  std::string message = error_past_size_limit([&] { rnnkit::write_file_atomically(target, big); });

  EXPECT_EQ(message, "cannot write " + target + ": File too large");
  EXPECT_EQ(read_plain(target), "old checkpoint");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"checkpoint"});
}

// A process killed in the middle of a write (here by SIGXFSZ at a file size limit, as SIGKILL or
// a Ctrl-C outside training would kill it) leaves the old file and nothing beside it: the bytes
// go to an unnamed file, named only once complete.
TEST(FileIo, AProcessKilledWhileWritingLeavesNoTemporary) {
  TempDir dir;
  const std::string target = dir / "checkpoint";
  write_plain(target, "old checkpoint");
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const rlimit no_core{0, 0}, limited{4096, 4096};
    ::setrlimit(RLIMIT_CORE, &no_core);
    std::signal(SIGXFSZ, SIG_DFL);
    ::setrlimit(RLIMIT_FSIZE, &limited);
    rnnkit::write_file_atomically(target, std::string(1 << 16, 'z'));
    ::_exit(0);  // not reached: the write past the limit ends the process
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGXFSZ) << "status " << status;
  EXPECT_EQ(read_plain(target), "old checkpoint");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"checkpoint"});
}

// Where the filesystem has no unnamed files the write goes through a named temporary: it
// replaces the file whole, and a failed write (a file size limit) removes it and keeps the old.
TEST(FileIo, TheNamedTemporaryFallbackReplacesOrKeepsTheFileAndLeavesNoTemporary) {
  TempDir dir;
  const std::string target = dir / "checkpoint";
  write_plain(target, "old checkpoint");
  rnnkit::atomic_write::through_named_file(target, target, "new checkpoint");
  EXPECT_EQ(read_plain(target), "new checkpoint");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"checkpoint"});

  const std::string message = error_past_size_limit(
      [&] { rnnkit::atomic_write::through_named_file(target, target, std::string(1 << 16, 'z')); });
  EXPECT_EQ(message, "cannot write " + target + ": File too large");
  EXPECT_EQ(read_plain(target), "new checkpoint");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"checkpoint"});
}
