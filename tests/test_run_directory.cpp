// The run directory's lock (train/run_directory.h): one training run at a time in a directory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "error_of.h"
#include "train/run_directory.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

TEST(RunDirectoryLock, ASecondHolderIsRefusedNamingTheFirstUntilItIsGone) {
  const std::string dir =
      (fs::temp_directory_path() / ("rnnkit_test_lock_" + std::to_string(::getpid()))).string();
  fs::create_directories(dir);
  {
    RunDirectoryLock first(dir);
    const std::string message = testing::error_of([&] { RunDirectoryLock second(dir); });
    EXPECT_NE(message.find(dir + " is in use by another training run (process " +
                           std::to_string(::getpid()) + ")"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(testing::error_of([&] { RunDirectoryLock again(dir); }), "(no error)");
  fs::remove_all(dir);
}

TEST(RunDirectoryLock, ADirectoryThatCannotHoldTheLockIsAnErrorNamingIt) {
  const std::string message =
      testing::error_of([] { RunDirectoryLock lock("/nonexistent/rnnkit_run"); });
  EXPECT_NE(message.find("cannot open /nonexistent/rnnkit_run/.lock"), std::string::npos)
      << message;
}

}  // namespace
}  // namespace rnnkit
