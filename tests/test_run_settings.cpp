// A training run holds the process's thread count and matmul precision: the *_between_runs
// setters (the Python package's) refuse to change them while it trains, and work after it.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "error_of.h"
#include "rnnkit/trainer.h"
#include "settings_guard.h"
#include "tiny_training_run.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

TEST(RunSettings, AreRefusedWhileARunTrainsAndTakenAfterIt) {
  const SettingsGuard guard;
  const fs::path dir = fs::temp_directory_path() / "rnnkit_run_settings";
  fs::remove_all(dir);
  std::string threads_error, precision_error;
  int pinned_during_run = -1;
  {
    // The observer runs inside the run, as another thread's call would.
    ScopedMetricsObserver observer([&](const nlohmann::json&) {
      if (!threads_error.empty()) return;
      threads_error = testing::error_of([] { set_num_threads_between_runs(2); });
      precision_error =
          testing::error_of([] { set_matmul_precision_between_runs(Precision::F32); });
      pinned_during_run = pinned_num_threads();
    });
    train_language_model(testing::tiny_run(dir));  // pins one thread
  }
  EXPECT_NE(threads_error.find("the thread count cannot change while a training run"),
            std::string::npos)
      << threads_error;
  EXPECT_NE(precision_error.find("the matmul precision cannot change while a training run"),
            std::string::npos)
      << precision_error;
  EXPECT_EQ(pinned_during_run, 1);

  set_num_threads_between_runs(2);
  EXPECT_EQ(pinned_num_threads(), 2);
  set_matmul_precision_between_runs(Precision::F32);
  EXPECT_EQ(matmul_precision(), Precision::F32);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
