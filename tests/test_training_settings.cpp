// A training run's thread count and matmul precision (options threads and bf16) are in force for
// the run only: the process's settings before the run are in force after it, as the Python
// package needs (it evaluates and generates in the process that trained).
#include <gtest/gtest.h>

#include <filesystem>

#include "bf16_support.h"
#include "rnnkit/precision.h"
#include "rnnkit/threads.h"
#include "rnnkit/trainer.h"
#include "settings_guard.h"
#include "tiny_training_run.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

fs::path fresh_dir(const char* name) {
  const fs::path dir = fs::temp_directory_path() / name;
  fs::remove_all(dir);
  return dir;
}

TEST(TrainingSettings, ARunGivesBackThePrecisionItFound) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  const fs::path dir = fresh_dir("rnnkit_training_precision");
  TrainOptions bf16_run = testing::tiny_run(dir / "bf16");
  bf16_run.bf16 = true;
  set_matmul_precision(Precision::F32);
  train_language_model(bf16_run);
  EXPECT_EQ(matmul_precision(), Precision::F32);
  set_matmul_precision(Precision::BF16);
  train_language_model(testing::tiny_run(dir / "f32"));
  EXPECT_EQ(matmul_precision(), Precision::BF16);
  fs::remove_all(dir);
}

TEST(TrainingSettings, ARunGivesBackTheThreadCountItFound) {
  SettingsGuard guard;
  const fs::path dir = fresh_dir("rnnkit_training_threads");
  TrainOptions run = testing::tiny_run(dir / "adaptive");
  ASSERT_EQ(run.threads, 1);
  set_num_threads(0);
  train_language_model(run);
  EXPECT_EQ(pinned_num_threads(), 0) << "the count no longer adapts to the load";
  set_num_threads(3);
  run.out_dir = (dir / "pinned").string();
  train_language_model(run);
  EXPECT_EQ(pinned_num_threads(), 3);
  EXPECT_EQ(num_threads(), 3);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
