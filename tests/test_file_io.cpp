#include "error_of.h"
#include "rnnkit/file_io.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

// A file size limit makes write() stop short and then fail with EFBIG, as a full disk would with
// ENOSPC; unlike permissions it also binds root.
TEST(FileIo, ShortWriteKeepsTheOldFileIntact) {
  TempDir dir;
  std::string target = dir / "checkpoint";
  write_plain(target, "old checkpoint");
  std::string big(1 << 16, 'z');

  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  rlimit limited = saved;
  limited.rlim_cur = 4096;
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  std::string message = error_of([&] { rnnkit::write_file_atomically(target, big); });
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);

  EXPECT_EQ(message, "cannot write " + target + ": File too large");
  EXPECT_EQ(read_plain(target), "old checkpoint");
  EXPECT_EQ(entries_of(dir.path()), std::vector<std::string>{"checkpoint"});
}
