#include "rnnkit/lr_scheduler.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <numbers>
#include <string_view>
#include <vector>

#include "rnnkit/error.h"

namespace rnnkit {
namespace {

// PyTorch's ReduceLROnPlateau defaults: relative threshold, and the smallest lr change applied.
constexpr double kPlateauThreshold = 1e-4;
constexpr double kPlateauEps = 1e-8;

constexpr const char* kSpecSyntax =
    "expected one of fixed, step:STEP_SIZE[:GAMMA], plateau[:DIVISOR[:PATIENCE[:MIN_LR]]], "
    "cosine[:WARMUP[:MIN_LR]]";

std::string format_number(double value) {
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void check_base_lr(double base_lr) {
  if (!std::isfinite(base_lr) || base_lr <= 0)
    throw Error("base learning rate must be finite and > 0, got " + format_number(base_lr));
}

void check_min_lr(double min_lr, double base_lr) {
  if (!(min_lr >= 0 && min_lr <= base_lr))
    throw Error("MIN_LR must be in [0, base lr " + format_number(base_lr) + "], got " +
                format_number(min_lr));
}

const double& state_value(const LRScheduler::State& state, const std::string& key) {
  auto it = state.find(key);
  if (it == state.end()) throw Error("learning-rate schedule state lacks '" + key + "'");
  if (!std::isfinite(it->second))
    throw Error("learning-rate schedule state '" + key + "' is not finite");
  return it->second;
}

int64_t state_count(const LRScheduler::State& state, const std::string& key) {
  const double value = state_value(state, key);
  if (value < 0 || value > 0x1p53 || value != std::floor(value))
    throw Error("learning-rate schedule state '" + key +
                "' is not a count: " + format_number(value));
  return static_cast<int64_t>(value);
}

std::vector<std::string_view> split_fields(std::string_view spec) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  for (size_t colon; (colon = spec.find(':', start)) != std::string_view::npos; start = colon + 1)
    fields.push_back(spec.substr(start, colon - start));
  fields.push_back(spec.substr(start));
  return fields;
}

template <typename T>
T parse_field(std::string_view field, const char* what) {
  T value{};
  auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
  if (field.empty() || ec != std::errc() || end != field.data() + field.size())
    throw Error(std::string(what) + " '" + std::string(field) + "' is not " +
                (std::is_integral_v<T> ? "an integer" : "a number"));
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(value)) throw Error(std::string(what) + " must be finite");
  }
  return value;
}

std::unique_ptr<LRScheduler> build_scheduler(const std::vector<std::string_view>& fields,
                                             double base_lr, int64_t total_steps) {
  const std::string_view name = fields[0];
  const size_t args = fields.size() - 1;
  auto arity = [&](size_t least, size_t most) {
    if (args < least || args > most)
      throw Error("'" + std::string(name) + "' takes " +
                  (least == most ? std::to_string(least)
                                 : std::to_string(least) + " to " + std::to_string(most)) +
                  " field(s), got " + std::to_string(args));
  };
  if (name == "fixed") {
    arity(0, 0);
    return std::make_unique<FixedLR>(base_lr);
  }
  if (name == "step") {
    arity(1, 2);
    const auto step_size = parse_field<int64_t>(fields[1], "STEP_SIZE");
    const double gamma = args > 1 ? parse_field<double>(fields[2], "GAMMA") : 0.1;
    return std::make_unique<StepLR>(base_lr, step_size, gamma);
  }
  if (name == "plateau") {
    arity(0, 3);
    const double divisor = args > 0 ? parse_field<double>(fields[1], "DIVISOR") : 4;
    const int64_t patience = args > 1 ? parse_field<int64_t>(fields[2], "PATIENCE") : 0;
    const double min_lr = args > 2 ? parse_field<double>(fields[3], "MIN_LR") : 0;
    return std::make_unique<ReduceLROnPlateau>(base_lr, divisor, patience, min_lr);
  }
  if (name == "cosine") {
    arity(0, 2);
    const int64_t warmup = args > 0 ? parse_field<int64_t>(fields[1], "WARMUP") : 0;
    const double min_lr = args > 1 ? parse_field<double>(fields[2], "MIN_LR") : 0;
    return std::make_unique<CosineWarmupLR>(base_lr, warmup, total_steps, min_lr);
  }
  throw Error("unknown schedule '" + std::string(name) + "'");
}

}  // namespace

FixedLR::FixedLR(double base_lr) : base_lr_(base_lr) {
  check_base_lr(base_lr);
}

StepLR::StepLR(double base_lr, int64_t step_size, double gamma)
    : base_lr_(base_lr), step_size_(step_size), gamma_(gamma) {
  check_base_lr(base_lr);
  if (step_size < 1) throw Error("STEP_SIZE must be >= 1, got " + std::to_string(step_size));
  if (!std::isfinite(gamma) || gamma <= 0)
    throw Error("GAMMA must be finite and > 0, got " + format_number(gamma));
}

double StepLR::lr_for(int64_t epoch) const {
  return base_lr_ * std::pow(gamma_, static_cast<double>(epoch / step_size_));
}

std::string StepLR::spec() const {
  return "step:" + std::to_string(step_size_) + ":" + format_number(gamma_);
}

LRScheduler::State StepLR::state() const {
  return {{"epoch", static_cast<double>(epoch_)}};
}

void StepLR::load_state(const State& state) {
  epoch_ = state_count(state, "epoch");
}

ReduceLROnPlateau::ReduceLROnPlateau(double base_lr, double divisor, int64_t patience,
                                     double min_lr)
    : divisor_(divisor),
      patience_(patience),
      min_lr_(min_lr),
      lr_(base_lr),
      best_(std::numeric_limits<double>::max()) {
  check_base_lr(base_lr);
  if (!std::isfinite(divisor) || divisor <= 1)
    throw Error("DIVISOR must be finite and > 1, got " + format_number(divisor));
  if (patience < 0) throw Error("PATIENCE must be >= 0, got " + std::to_string(patience));
  check_min_lr(min_lr, base_lr);
}

void ReduceLROnPlateau::on_validation(double loss) {
  if (loss < best_ * (1 - kPlateauThreshold)) {
    best_ = loss;
    bad_validations_ = 0;
    return;
  }
  if (++bad_validations_ <= patience_) return;
  const double reduced = std::max(lr_ / divisor_, min_lr_);
  if (lr_ - reduced > kPlateauEps) lr_ = reduced;
  bad_validations_ = 0;
}

std::string ReduceLROnPlateau::spec() const {
  return "plateau:" + format_number(divisor_) + ":" + std::to_string(patience_) + ":" +
         format_number(min_lr_);
}

LRScheduler::State ReduceLROnPlateau::state() const {
  return {{"lr", lr_}, {"best", best_}, {"bad_validations", static_cast<double>(bad_validations_)}};
}

void ReduceLROnPlateau::load_state(const State& state) {
  const double lr = state_value(state, "lr");
  if (lr < 0) throw Error("learning-rate schedule state 'lr' is negative");
  const double best = state_value(state, "best");
  const int64_t bad_validations = state_count(state, "bad_validations");
  lr_ = lr;
  best_ = best;
  bad_validations_ = bad_validations;
}

CosineWarmupLR::CosineWarmupLR(double base_lr, int64_t warmup_steps, int64_t total_steps,
                               double min_lr)
    : base_lr_(base_lr), warmup_steps_(warmup_steps), total_steps_(total_steps), min_lr_(min_lr) {
  check_base_lr(base_lr);
  if (total_steps < 1)
    throw Error("the cosine schedule needs the total number of optimizer steps of the run");
  if (warmup_steps < 0 || warmup_steps >= total_steps)
    throw Error("WARMUP must be in [0, " + std::to_string(total_steps) +
                ") (the total steps), got " + std::to_string(warmup_steps));
  check_min_lr(min_lr, base_lr);
}

double CosineWarmupLR::lr_for(int64_t step) const {
  if (step < warmup_steps_)
    return base_lr_ * static_cast<double>(step) / static_cast<double>(warmup_steps_);
  if (step >= total_steps_) return min_lr_;
  const double progress =
      static_cast<double>(step - warmup_steps_) / static_cast<double>(total_steps_ - warmup_steps_);
  return min_lr_ + (base_lr_ - min_lr_) * 0.5 * (1 + std::cos(std::numbers::pi * progress));
}

std::string CosineWarmupLR::spec() const {
  return "cosine:" + std::to_string(warmup_steps_) + ":" + format_number(min_lr_);
}

LRScheduler::State CosineWarmupLR::state() const {
  return {{"step", static_cast<double>(step_)}};
}

void CosineWarmupLR::load_state(const State& state) {
  step_ = state_count(state, "step");
}

std::unique_ptr<LRScheduler> make_scheduler(const std::string& spec, double base_lr,
                                            int64_t total_steps) {
  try {
    return build_scheduler(split_fields(spec), base_lr, total_steps);
  } catch (const Error& e) {
    throw Error("invalid learning-rate schedule '" + spec + "': " + e.what() + " (" + kSpecSyntax +
                ")");
  }
}

}  // namespace rnnkit
