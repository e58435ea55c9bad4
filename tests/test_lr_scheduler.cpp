#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "rnnkit/error.h"
#include "rnnkit/lr_scheduler.h"

namespace rnnkit {
namespace {

TEST(FixedLR, NeverChanges) {
  FixedLR fixed(0.3);
  fixed.on_step();
  fixed.on_epoch_end();
  fixed.on_validation(1.0);
  fixed.on_validation(2.0);
  EXPECT_EQ(fixed.lr(), 0.3);
}

TEST(StepLR, DecaysByGammaEveryStepSizeEpochs) {
  StepLR schedule(1.0, 2, 0.5);
  const std::vector<double> expected = {1, 1, 0.5, 0.5, 0.25, 0.25, 0.125};
  for (size_t epoch = 0; epoch < expected.size(); ++epoch) {
    EXPECT_EQ(schedule.lr(), expected[epoch]) << "epoch " << epoch;
    EXPECT_EQ(schedule.lr_for(static_cast<int64_t>(epoch)), expected[epoch]);
    schedule.on_step();  // steps and validations do not move it
    schedule.on_validation(100.0);
    schedule.on_epoch_end();
  }
}

// Feeds validation losses and returns the lr after each.
std::vector<double> lrs_after(ReduceLROnPlateau& schedule, const std::vector<double>& losses) {
  std::vector<double> lrs;
  for (double loss : losses) {
    schedule.on_validation(loss);
    lrs.push_back(schedule.lr());
  }
  return lrs;
}

TEST(ReduceLROnPlateau, DividesAfterEachNonImprovingValidation) {
  // As PyTorch's word_language_model: lr /= 4 whenever the loss is not below the best so far.
  ReduceLROnPlateau schedule(1.0);
  EXPECT_EQ(lrs_after(schedule, {5.0, 4.0, 4.5, 4.2, 3.9, 3.9}),
            (std::vector<double>{1, 1, 0.25, 0.0625, 0.0625, 0.015625}));
}

TEST(ReduceLROnPlateau, ImprovementMustExceedRelativeThreshold) {
  // 4 * (1 - 1e-4) = 3.9996: 3.9997 is no improvement, 3.9995 is one.
  ReduceLROnPlateau schedule(1.0, 2.0);
  EXPECT_EQ(lrs_after(schedule, {4.0, 3.9997, 3.9995}), (std::vector<double>{1, 0.5, 0.5}));
}

TEST(ReduceLROnPlateau, WaitsForMoreThanPatienceBadValidations) {
  ReduceLROnPlateau schedule(1.0, 10.0, 2);
  EXPECT_EQ(lrs_after(schedule, {1.0, 2.0, 2.0, 2.0, 2.0, 0.5, 2.0, 2.0, 2.0}),
            (std::vector<double>{1, 1, 1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.01}));
}

TEST(ReduceLROnPlateau, StopsAtMinLr) {
  ReduceLROnPlateau schedule(1.0, 4.0, 0, 0.1);
  EXPECT_EQ(lrs_after(schedule, {1.0, 2.0, 2.0, 2.0}), (std::vector<double>{1, 0.25, 0.1, 0.1}));
}

TEST(ReduceLROnPlateau, NaNLossCountsAsNoImprovement) {
  ReduceLROnPlateau schedule(1.0);
  EXPECT_EQ(lrs_after(schedule, {NAN, 1.0, NAN}), (std::vector<double>{0.25, 0.25, 0.0625}));
}

TEST(CosineWarmupLR, WarmsUpLinearlyThenFollowsHalfCosine) {
  CosineWarmupLR schedule(1.0, 10, 110);
  EXPECT_EQ(schedule.lr_for(0), 0.0);
  EXPECT_DOUBLE_EQ(schedule.lr_for(5), 0.5);
  EXPECT_DOUBLE_EQ(schedule.lr_for(9), 0.9);
  EXPECT_DOUBLE_EQ(schedule.lr_for(10), 1.0);
  EXPECT_DOUBLE_EQ(schedule.lr_for(35), 0.5 * (1 + std::sqrt(0.5)));  // a quarter: cos(pi/4)
  EXPECT_NEAR(schedule.lr_for(60), 0.5, 1e-15);
  EXPECT_NEAR(schedule.lr_for(110), 0.0, 1e-15);
  EXPECT_EQ(schedule.lr_for(500), 0.0);
  for (int step = 0; step < 35; ++step) schedule.on_step();
  schedule.on_epoch_end();
  schedule.on_validation(1.0);
  EXPECT_EQ(schedule.lr(), schedule.lr_for(35));
}

TEST(CosineWarmupLR, DecaysToMinLr) {
  CosineWarmupLR schedule(1.0, 0, 100, 0.1);
  EXPECT_EQ(schedule.lr_for(0), 1.0);
  EXPECT_DOUBLE_EQ(schedule.lr_for(50), 0.55);
  EXPECT_DOUBLE_EQ(schedule.lr_for(100), 0.1);
  EXPECT_DOUBLE_EQ(schedule.lr_for(1000), 0.1);
}

TEST(MakeScheduler, BuildsEachKindWithDefaults) {
  struct Case {
    std::string spec, canonical;
  };
  for (const Case& c : std::vector<Case>{{"fixed", "fixed"},
                                         {"step:10:0.5", "step:10:0.5"},
                                         {"step:3", "step:3:0.1"},
                                         {"plateau", "plateau:4:0:0"},
                                         {"plateau:4", "plateau:4:0:0"},
                                         {"plateau:2.5:3:1e-05", "plateau:2.5:3:1e-05"},
                                         {"cosine", "cosine:0:0"},
                                         {"cosine:100", "cosine:100:0"},
                                         {"cosine:5:0.0001", "cosine:5:1e-04"}}) {
    auto schedule = make_scheduler(c.spec, 0.5, 1000);
    EXPECT_EQ(schedule->spec(), c.canonical) << c.spec;
    EXPECT_EQ(make_scheduler(schedule->spec(), 0.5, 1000)->spec(), c.canonical) << c.spec;
  }
}

TEST(MakeScheduler, BuiltSchedulesFollowTheirFormulas) {
  auto step = make_scheduler("step:2:0.5", 0.8, 0);
  step->on_epoch_end();
  step->on_epoch_end();
  EXPECT_EQ(step->lr(), 0.4);

  auto plateau = make_scheduler("plateau:2", 0.8, 0);
  plateau->on_validation(3.0);
  plateau->on_validation(3.0);
  EXPECT_EQ(plateau->lr(), 0.4);

  auto cosine = make_scheduler("cosine:4", 0.8, 104);
  for (int i = 0; i < 2; ++i) cosine->on_step();
  EXPECT_DOUBLE_EQ(cosine->lr(), 0.4);
}

TEST(MakeScheduler, RejectsBadSpecsWithTheReason) {
  struct Case {
    std::string spec;
    double base_lr;
    int64_t total_steps;
    std::string reason;
  };
  for (const Case& c : std::vector<Case>{
           {"", 0.1, 100, "unknown schedule ''"},
           {"linear", 0.1, 100, "unknown schedule 'linear'"},
           {"fixed:1", 0.1, 100, "takes 0 field"},
           {"step", 0.1, 100, "takes 1 to 2 field"},
           {"step:10:0.5:1", 0.1, 100, "takes 1 to 2 field"},
           {"step:x", 0.1, 100, "STEP_SIZE 'x' is not an integer"},
           {"step:1.5", 0.1, 100, "STEP_SIZE '1.5' is not an integer"},
           {"step:10:", 0.1, 100, "GAMMA '' is not a number"},
           {"step:0", 0.1, 100, "STEP_SIZE must be >= 1"},
           {"step:2:0", 0.1, 100, "GAMMA must be finite and > 0"},
           {"step:2:nan", 0.1, 100, "GAMMA must be finite"},
           {"plateau:1", 0.1, 100, "DIVISOR must be finite and > 1"},
           {"plateau:4:-1", 0.1, 100, "PATIENCE must be >= 0"},
           {"plateau:4:0:0.5", 0.1, 100, "MIN_LR must be in [0, base lr 0.1]"},
           {"plateau:4:0:0:1", 0.1, 100, "takes 0 to 3 field"},
           {"cosine:10", 0.1, 0, "needs the total number of optimizer steps"},
           {"cosine:100", 0.1, 100, "WARMUP must be in [0, 100)"},
           {"cosine:-1", 0.1, 100, "WARMUP must be in [0, 100)"},
           {"cosine:10:-0.1", 0.1, 100, "MIN_LR must be in [0, base lr 0.1]"},
           {"fixed", 0.0, 100, "base learning rate must be finite and > 0"},
           {"step:2", NAN, 100, "base learning rate must be finite and > 0"},
       }) {
    try {
      make_scheduler(c.spec, c.base_lr, c.total_steps);
      ADD_FAILURE() << "accepted '" << c.spec << "'";
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find("invalid learning-rate schedule '" + c.spec + "'"), std::string::npos)
          << message;
      EXPECT_NE(message.find(c.reason), std::string::npos) << message;
    }
  }
}

// Runs `events` on a schedule, restores its state into a fresh one from the same spec, and checks
// that both then agree on every lr.
void expect_resume_continues(const std::string& spec, const std::vector<double>& losses) {
  auto original = make_scheduler(spec, 0.5, 100);
  for (double loss : losses) {
    original->on_step();
    original->on_epoch_end();
    original->on_validation(loss);
  }
  auto resumed = make_scheduler(spec, 0.5, 100);
  resumed->load_state(original->state());
  for (double loss : {9.0, 9.0, 1.0, 9.0}) {
    EXPECT_EQ(resumed->lr(), original->lr()) << spec;
    for (auto* s : {original.get(), resumed.get()}) {
      s->on_step();
      s->on_epoch_end();
      s->on_validation(loss);
    }
  }
  EXPECT_EQ(resumed->state(), original->state()) << spec;
}

TEST(SchedulerState, RestoringContinuesTheSchedule) {
  expect_resume_continues("step:2:0.5", {1, 1, 1});
  expect_resume_continues("plateau:2:1", {3, 2, 2.5, 2.5, 2.6});
  expect_resume_continues("cosine:10", {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
}

TEST(SchedulerState, NamesItsNumbers) {
  StepLR step(1.0, 2);
  step.on_epoch_end();
  EXPECT_EQ(step.state(), (LRScheduler::State{{"epoch", 1}}));
  ReduceLROnPlateau plateau(1.0);
  plateau.on_validation(2.0);
  plateau.on_validation(3.0);
  EXPECT_EQ(plateau.state(),
            (LRScheduler::State{{"lr", 0.25}, {"best", 2.0}, {"bad_validations", 0}}));
  EXPECT_TRUE(std::isfinite(ReduceLROnPlateau(1.0).state().at("best")));
}

TEST(SchedulerState, RejectsBadState) {
  StepLR step(1.0, 2);
  EXPECT_THROW(step.load_state({}), Error);
  EXPECT_THROW(step.load_state({{"epoch", -1}}), Error);
  EXPECT_THROW(step.load_state({{"epoch", 1.5}}), Error);
  EXPECT_THROW(step.load_state({{"epoch", INFINITY}}), Error);
  ReduceLROnPlateau plateau(1.0);
  EXPECT_THROW(plateau.load_state({{"lr", 0.1}, {"best", 1.0}}), Error);
  EXPECT_THROW(plateau.load_state({{"lr", -0.1}, {"best", 1.0}, {"bad_validations", 0}}), Error);
  EXPECT_THROW(plateau.load_state({{"lr", 0.1}, {"best", NAN}, {"bad_validations", 0}}), Error);
  EXPECT_EQ(plateau.lr(), 1.0);  // a rejected state changes nothing
  CosineWarmupLR cosine(1.0, 0, 10);
  EXPECT_THROW(cosine.load_state({{"epoch", 1}}), Error);
}

}  // namespace
}  // namespace rnnkit
