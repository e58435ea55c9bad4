// A training run's matmul precision (option bf16) is in force for the run only: the precision of
// the process before the run is in force after it, as the Python package needs (it evaluates and
// generates in the process that trained).
#include <gtest/gtest.h>

#include <filesystem>

#include "bf16_support.h"
#include "rnnkit/precision.h"
#include "rnnkit/trainer.h"
#include "settings_guard.h"
#include "tiny_training_run.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

TEST(TrainingPrecision, ARunGivesBackThePrecisionItFound) {
  RNNKIT_SKIP_WITHOUT_BF16();
  SettingsGuard guard;
  const fs::path dir = fs::temp_directory_path() / "rnnkit_training_precision";
  fs::remove_all(dir);
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

}  // namespace
}  // namespace rnnkit
