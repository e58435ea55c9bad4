// The training engine's gradients: each step's update sees that batch's gradient alone. The
// optimizer step zeroes the grads for the next batch (Optimizer::step_and_zero_grad), so a batch
// whose update is skipped (non-finite, --skip-nonfinite) leaves its gradient behind, which the
// engine must clear before the next batch. A task of one parameter, whose batches add known
// gradients, shows what each update was given.
#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/parameter.h"
#include "rnnkit/safetensors.h"
#include "rnnkit/trainer.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;

// Batch k adds gradients[k] to w's gradient; its loss is NaN where nonfinite[k].
class OneParameterTask : public TrainingTask {
 public:
  OneParameterTask(std::vector<float> gradients, std::vector<bool> nonfinite)
      : gradients_(std::move(gradients)), nonfinite_(std::move(nonfinite)) {
    w_.value[0] = 10.0f;
  }

  uint64_t data_fingerprint() override { return 1; }
  std::string family() const override { return "test"; }
  ParameterList parameters() override { return {&w_}; }
  StateDict state_dict() override { return {{"w", &w_.value}}; }
  void load_state_dict(const std::map<std::string, Tensor>& tensors) override {
    w_.value = tensors.at("w");
  }
  std::map<std::string, std::string> model_metadata() override { return {}; }
  void save_model(const std::string&, const std::map<std::string, std::string>&, DType) override {}
  std::string description() override { return "one parameter"; }
  int64_t batches_per_epoch() const override { return static_cast<int64_t>(gradients_.size()); }
  bool train_next(Rng&, LossResult& loss) override {
    if (next_ >= gradients_.size()) return false;
    w_.grad[0] += gradients_[next_];
    loss.loss_sum = nonfinite_[next_] ? std::numeric_limits<double>::quiet_NaN() : 1.0;
    loss.count = 1;
    ++next_;
    return true;
  }
  bool epoch_done() const override { return next_ >= gradients_.size(); }
  void start_epoch(Rng&) override { next_ = 0; }
  std::optional<ValidationResult> validate() override { return std::nullopt; }
  nlohmann::json position() override { return {{"next", next_}}; }
  void restore_position(const nlohmann::json& position, const std::map<std::string, Tensor>&,
                        Rng&) override {
    next_ = position.at("next");
  }

  float w() const { return w_.value[0]; }

 private:
  Parameter w_{"w", {1}};
  std::vector<float> gradients_;
  std::vector<bool> nonfinite_;
  size_t next_ = 0;
};

// Plain SGD with lr 1 (w moves by minus each applied batch's gradient) for 4 steps into `dir`,
// emptied first, on one thread.
EngineOptions four_sgd_steps_into(const fs::path& dir) {
  fs::remove_all(dir);
  EngineOptions o;
  o.optimizer = "sgd";
  o.lr = 1.0;
  o.steps = 4;
  o.out_dir = dir.string();
  o.threads = 1;
  return o;
}

TrainSummary train(TrainingTask& task, const EngineOptions& o) {
  Rng rng(1);
  return run_training(task, o, rng, nlohmann::json::object(), nullptr, nlohmann::json::object());
}

TEST(EngineGradients, EachUpdateSeesItsOwnBatchEvenAfterASkippedOne) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_engine_gradients";
  OneParameterTask task({1.0f, 2.0f, 4.0f, 8.0f}, {false, true, false, false});
  EngineOptions o = four_sgd_steps_into(dir);
  o.skip_nonfinite = true;
  const TrainSummary summary = train(task, o);
  EXPECT_EQ(summary.skipped_batches, 1);
  // Batches 0, 2 and 3 applied, each alone: the skipped batch's 2 never reaches an update.
  EXPECT_EQ(task.w(), 10.0f - 1.0f - 4.0f - 8.0f);
  fs::remove_all(dir);
}

// Batches as OneParameterTask's; writing its model fails from the `fails_from`th write on (a full
// disk).
class FailingSaveTask : public OneParameterTask {
 public:
  explicit FailingSaveTask(int fails_from)
      : OneParameterTask({1.0f, 1.0f, 1.0f, 1.0f}, {false, false, false, false}),
        fails_from_(fails_from) {}
  void save_model(const std::string& path, const std::map<std::string, std::string>&,
                  DType) override {
    if (++saves_ >= fails_from_) throw Error("cannot write " + path + ": No space left on device");
  }

 private:
  int fails_from_, saves_ = 0;
};

// A checkpoint that cannot be written says which one the run directory still holds.
TEST(EngineCheckpoint, AFailedWriteSaysWhatIsKept) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_engine_failed_write";
  const std::string failure =
      "cannot write " + dir.string() + "/last.safetensors: No space left on device; ";
  const std::pair<int, std::string> cases[] = {
      {2, "the last good checkpoint in " + dir.string() + " (step 2) is kept"},
      {1, "no checkpoint was written before, so " + dir.string() + " holds no model to resume"}};
  for (const auto& [fails_from, kept] : cases) {
    EngineOptions o = four_sgd_steps_into(dir);
    o.checkpoint_every = 2;
    FailingSaveTask task(fails_from);
    try {
      train(task, o);
      FAIL() << "the failed write went unnoticed";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).rfind(failure + kept, 0), 0u) << e.what();
    }
  }
  fs::remove_all(dir);
}

// A stop asked for before the run starts (a SIGTERM while `rnnkit train` reads its corpus) is
// kept: the run stops after its first step, with a checkpoint. It ends with that run: the next
// run in the process (the Python package's) trains its whole budget.
TEST(EngineStop, AStopAskedForBeforeTheRunStopsItAndEndsWithIt) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_engine_stop";
  OneParameterTask stopped({1.0f, 1.0f, 1.0f, 1.0f}, {false, false, false, false});
  request_training_stop(SIGTERM);
  const TrainSummary first = train(stopped, four_sgd_steps_into(dir));
  EXPECT_EQ(first.stop_signal, SIGTERM);
  EXPECT_EQ(first.steps, 1);
  EXPECT_TRUE(fs::exists(dir / "state.bin"));
  OneParameterTask whole({1.0f, 1.0f, 1.0f, 1.0f}, {false, false, false, false});
  const TrainSummary second = train(whole, four_sgd_steps_into(dir));
  EXPECT_EQ(second.stop_signal, 0);
  EXPECT_EQ(second.steps, 4);
  fs::remove_all(dir);
}

// The "type":"epoch" records of a run's metrics.jsonl, as (step, epoch).
std::vector<std::pair<int64_t, int64_t>> epoch_records(const fs::path& dir) {
  std::ifstream in(dir / "metrics.jsonl");
  std::vector<std::pair<int64_t, int64_t>> records;
  for (std::string line; std::getline(in, line);) {
    const nlohmann::json j = nlohmann::json::parse(line);
    if (j.at("type") == "epoch") records.emplace_back(j.at("step"), j.at("epoch"));
  }
  return records;
}

// A budget of steps that ends with an epoch's last batch closes the epoch as --epochs would: it
// counts, is recorded, and the checkpoint holds the next epoch's start (also when a step
// checkpoint was written at that step before), so a resumed run does not close it again.
TEST(EngineEpochs, AStepBudgetEndingWithAnEpochClosesIt) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_engine_epochs";
  for (const int64_t checkpoint_every : {0, 2}) {
    EngineOptions o = four_sgd_steps_into(dir);
    o.checkpoint_every = checkpoint_every;
    OneParameterTask first({1.0f, 1.0f, 1.0f, 1.0f}, {false, false, false, false});
    EXPECT_EQ(train(first, o).epochs, 1) << checkpoint_every;
    EXPECT_EQ(epoch_records(dir), (std::vector<std::pair<int64_t, int64_t>>{{4, 1}}));
    const SafetensorsFile state = read_safetensors((dir / "state.bin").string());
    const nlohmann::json position = nlohmann::json::parse(state.metadata.at("rnnkit.train_state"));
    EXPECT_EQ(position.at("epoch"), 1) << checkpoint_every;
    EXPECT_EQ(position.at("position").at("next"), 0) << "the next epoch's first batch";

    o.steps = 8;
    OneParameterTask resumed({1.0f, 1.0f, 1.0f, 1.0f}, {false, false, false, false});
    Rng rng(1);
    const TrainSummary summary =
        run_training(resumed, o, rng, nlohmann::json::object(), &state, nlohmann::json::object());
    EXPECT_EQ(summary.epochs, 2) << checkpoint_every;
    EXPECT_EQ(epoch_records(dir), (std::vector<std::pair<int64_t, int64_t>>{{4, 1}, {8, 2}}))
        << checkpoint_every;
    EXPECT_EQ(resumed.w(), 10.0f - 8.0f) << "eight batches over both runs, none twice";
  }
  fs::remove_all(dir);
}

// A stop taken at an epoch's last step (here also the budget's) checkpoints before the epoch is
// closed; the resumed run closes it first, as the uninterrupted run did next, though its budget
// is spent.
TEST(EngineEpochs, AnEpochLeftOpenByAStopIsClosedOnResume) {
  const fs::path dir = fs::temp_directory_path() / "rnnkit_engine_stop_at_epoch_end";
  EngineOptions o = four_sgd_steps_into(dir);
  o.steps = 1;
  OneParameterTask first({1.0f}, {false});
  request_training_stop(SIGTERM);
  const TrainSummary stopped = train(first, o);
  EXPECT_EQ(stopped.stop_signal, SIGTERM);
  EXPECT_EQ(stopped.epochs, 0);
  EXPECT_TRUE(epoch_records(dir).empty());

  OneParameterTask resumed({1.0f}, {false});
  const SafetensorsFile state = read_safetensors((dir / "state.bin").string());
  Rng rng(1);
  const TrainSummary summary =
      run_training(resumed, o, rng, nlohmann::json::object(), &state, nlohmann::json::object());
  EXPECT_EQ(summary.steps, 1);
  EXPECT_EQ(summary.epochs, 1);
  EXPECT_EQ(epoch_records(dir), (std::vector<std::pair<int64_t, int64_t>>{{1, 1}}));
  EXPECT_EQ(resumed.w(), 10.0f - 1.0f) << "no batch trained again";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace rnnkit
