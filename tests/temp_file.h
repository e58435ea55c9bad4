#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>

namespace rnnkit::testing {

// A path in the temporary directory, unique to this process and `name`, removed at the end.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("rnnkit_test_" + std::to_string(::getpid()) + "_" + name))
                  .string()) {}
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace rnnkit::testing
