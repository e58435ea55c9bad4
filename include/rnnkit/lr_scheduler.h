#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace rnnkit {

// A learning-rate schedule. The training loop reports three kinds of events and, before every
// optimizer step, sets the optimizer's lr to lr(); each schedule reacts to the events it is
// defined on and ignores the others:
//
//   optimizer.set_lr(schedule.lr()); optimizer.step(); schedule.on_step();
//   ... at the end of each pass over the training data:   schedule.on_epoch_end();
//   ... after each validation:                             schedule.on_validation(loss);
//
// Learning rates are computed in double, as PyTorch's schedulers do.
class LRScheduler {
 public:
  // The named numbers that make up a schedule's mutable state (all finite), for exact resume.
  using State = std::map<std::string, double>;

  virtual ~LRScheduler() = default;

  // The learning rate for the next optimizer step.
  virtual double lr() const = 0;
  virtual void on_step() {}
  virtual void on_epoch_end() {}
  virtual void on_validation(double /*loss*/) {}

  // The canonical spec (see make_scheduler) that rebuilds this schedule.
  virtual std::string spec() const = 0;
  virtual State state() const = 0;
  // Throws Error if a key is missing or a value is out of range.
  virtual void load_state(const State& state) = 0;
};

// The learning rate never changes. Spec "fixed".
class FixedLR : public LRScheduler {
 public:
  explicit FixedLR(double base_lr);
  double lr() const override { return base_lr_; }
  std::string spec() const override { return "fixed"; }
  State state() const override { return {}; }
  void load_state(const State&) override {}

 private:
  double base_lr_;
};

// torch.optim.lr_scheduler.StepLR: lr = base_lr * gamma^floor(epoch / step_size), where epoch
// counts on_epoch_end() calls. Spec "step:STEP_SIZE[:GAMMA]". State: "epoch".
class StepLR : public LRScheduler {
 public:
  StepLR(double base_lr, int64_t step_size, double gamma = 0.1);
  double lr_for(int64_t epoch) const;
  double lr() const override { return lr_for(epoch_); }
  void on_epoch_end() override { ++epoch_; }
  std::string spec() const override;
  State state() const override;
  void load_state(const State& state) override;

 private:
  double base_lr_;
  int64_t step_size_;
  double gamma_;
  int64_t epoch_ = 0;
};

// torch.optim.lr_scheduler.ReduceLROnPlateau in mode "min" with PyTorch's default relative
// threshold, expressed as a divisor as in PyTorch's word_language_model example (which divides by
// 4 whenever the validation loss does not improve). A validation loss improves if it is < best *
// (1 - 1e-4); after more than `patience` validations in a row without improvement, lr becomes
// max(lr / divisor, min_lr) (unchanged if that moves it by less than 1e-8, as in PyTorch) and the
// count restarts. Spec "plateau[:DIVISOR[:PATIENCE[:MIN_LR]]]". State: "lr", "best" (the largest
// double before the first improvement), "bad_validations".
class ReduceLROnPlateau : public LRScheduler {
 public:
  ReduceLROnPlateau(double base_lr, double divisor = 4, int64_t patience = 0, double min_lr = 0);
  double lr() const override { return lr_; }
  void on_validation(double loss) override;
  std::string spec() const override;
  State state() const override;
  void load_state(const State& state) override;

 private:
  double divisor_;
  int64_t patience_;
  double min_lr_;
  double lr_;
  double best_;
  int64_t bad_validations_ = 0;
};

// Linear warm-up, then cosine decay: for step s (counting on_step() calls)
//   s < warmup:            base_lr * s / warmup
//   warmup <= s < total:   min_lr + (base_lr - min_lr) * 0.5 * (1 + cos(pi * (s - warmup) / (total
//   - warmup))) s >= total:            min_lr
// Spec "cosine[:WARMUP[:MIN_LR]]"; total_steps comes from the run. State: "step".
class CosineWarmupLR : public LRScheduler {
 public:
  CosineWarmupLR(double base_lr, int64_t warmup_steps, int64_t total_steps, double min_lr = 0);
  double lr_for(int64_t step) const;
  double lr() const override { return lr_for(step_); }
  void on_step() override { ++step_; }
  std::string spec() const override;
  State state() const override;
  void load_state(const State& state) override;

 private:
  double base_lr_;
  int64_t warmup_steps_;
  int64_t total_steps_;
  double min_lr_;
  int64_t step_ = 0;
};

// Builds a schedule from its spec, fields separated by ':' (optional ones in brackets):
//   fixed                                  constant lr
//   step:STEP_SIZE[:GAMMA]                 StepLR, GAMMA defaults to 0.1        e.g. "step:10:0.5"
//   plateau[:DIVISOR[:PATIENCE[:MIN_LR]]]  ReduceLROnPlateau, defaults 4, 0, 0  e.g. "plateau:4"
//   cosine[:WARMUP[:MIN_LR]]               CosineWarmupLR, defaults 0, 0        e.g. "cosine:100"
// STEP_SIZE, PATIENCE and WARMUP are integers; total_steps (the optimizer steps of the whole run)
// is needed by "cosine" only and may be 0 (unknown) otherwise. Throws Error naming the problem for
// an unknown name, a missing, extra or malformed field, or a value out of range (base_lr must be
// finite and > 0; GAMMA > 0; DIVISOR > 1; MIN_LR in [0, base_lr]; WARMUP < total_steps).
std::unique_ptr<LRScheduler> make_scheduler(const std::string& spec, double base_lr,
                                            int64_t total_steps);

}  // namespace rnnkit
