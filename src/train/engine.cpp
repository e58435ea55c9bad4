// The training engine, one loop for every model family, kept in one file so a step reads top to
// bottom: next batch -> forward/backward -> clip -> optimiser step -> log, validate, sample,
// checkpoint.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>

#include "data/quoted.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/communicator.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/gemm.h"
#include "rnnkit/lr_scheduler.h"
#include "rnnkit/precision.h"
#include "rnnkit/single_row_product.h"
#include "rnnkit/threads.h"
#include "rnnkit/trainer.h"
#include "train/fingerprint.h"
#include "train/gradient_reducer.h"
#include "train/optimizer_factory.h"
#include "train/progress.h"
#include "train/run_directory.h"
#include "train/train_state.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<int> stop_signal{0};
// The stop request of the runs this thread trains, where its caller keeps one (ScopedRunStop).
thread_local const std::atomic<int>* thread_stop = nullptr;

int thread_stop_signal() {
  return thread_stop ? thread_stop->load() : 0;
}

bool all_finite(const ParameterList& params) {
  for (const Parameter* p : params)
    for (float v : p->value.span())
      if (!std::isfinite(v)) return false;
  return true;
}

bool whole_model_file(const std::string& path) {
  try {
    read_safetensors(path);
    return true;
  } catch (const Error&) {
    return false;
  }
}

class Engine {
 public:
  Engine(TrainingTask& task, const EngineOptions& options, Rng& rng, json family_options,
         const json& shared_options, const SafetensorsFile* state, Communicator* world);
  TrainSummary run();

 private:
  bool writer() const { return !world_ || world_->rank() == 0; }
  // Data-parallel setup: batch sizes, the same data on every rank, rank 0's weights.
  void join(Communicator& world, const json& shared_options);
  // After a batch's backward pass: the global loss and gradients, and rank 0's clock and Rng
  // (a rank whose share of a small batch was empty drew no dropout masks).
  LossResult reduce_step(const LossResult& local, bool& stop);
  bool budget_left() const;
  // Clipping, the optimiser step (or a skip) and the log line after a batch's backward pass.
  void finish_step(const LossResult& r);
  void end_epoch();
  void validate();
  void print_sample();
  void save_checkpoint();
  // For an error that stops the run: the checkpoint its directory keeps, or that it has none.
  std::string what_is_kept() const;
  void log_step(double loss, float norm, int64_t tokens);
  std::string run_message() const;

  TrainingTask& task_;
  EngineOptions o_;
  Rng& rng_;
  json family_options_;
  std::string run_dir_;
  std::unique_ptr<RunDirectoryLock> lock_;  // held by the writer for the whole run
  ParameterList params_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LRScheduler> scheduler_;
  std::unique_ptr<Progress> progress_;
  TrainPosition pos_;
  int64_t total_steps_ = 0;
  Clock::time_point started_;
  double elapsed_at_start_ = 0;
  int64_t steps_at_start_ = 0;
  int64_t tokens_since_log_ = 0;
  Clock::time_point last_log_;
  int64_t saved_at_step_ = -1, saved_at_epoch_ = -1;
  double elapsed_at_save_ = 0;  // pos_.elapsed at the last checkpoint (or the run's start)
  int64_t logged_at_step_ = 0;
  // Whether the last optimizer step left every gradient at zero (step_and_zero_grad), so that
  // the next batch needs no zero_grad pass of its own.
  bool grads_zeroed_ = false;
  static constexpr int64_t kMaxConsecutiveSkips = 100;
  TrainSummary summary_;
  Communicator* world_;  // null: one process
  std::unique_ptr<GradientReducer> reducer_;
  CommunicationTime communication_since_log_;
};

Engine::Engine(TrainingTask& task, const EngineOptions& options, Rng& rng, json family_options,
               const json& shared_options, const SafetensorsFile* state, Communicator* world)
    : task_(task),
      o_(options),
      rng_(rng),
      family_options_(std::move(family_options)),
      run_dir_(options.out_dir),
      world_(world) {
  validate_options(o_, EngineOptions::table());
  // Whichever budget ends the run first sizes a schedule by steps (cosine).
  const int64_t per_epoch = task_.batches_per_epoch();
  if (o_.epochs > 0 && per_epoch > 0 && o_.epochs > std::numeric_limits<int64_t>::max() / per_epoch)
    throw Error("--epochs " + std::to_string(o_.epochs) + " of " + std::to_string(per_epoch) +
                " batches are more steps than a run can count (2^63 - 1)");
  if (o_.steps > 0 && o_.epochs > 0)
    total_steps_ = std::min(o_.steps, o_.epochs * per_epoch);
  else if (o_.steps > 0)
    total_steps_ = o_.steps;
  else if (o_.epochs > 0)
    total_steps_ = o_.epochs * per_epoch;
  else if (o_.time_limit == 0)
    total_steps_ = task_.batches_per_epoch();  // no budget given: one epoch (budget_left)
  // A schedule that does not parse or fit the run is refused before the run directory is made.
  // One sized by the steps (cosine) has none to size it with a budget of --time alone, which a
  // resumed run gets by giving --time anew (the budget is replaced whole).
  if (total_steps_ == 0 && o_.schedule.starts_with("cosine"))
    throw Error("--schedule " + o_.schedule + " is sized by the run's steps: give --steps or " +
                "--epochs beside --time" +
                (state ? " (with --resume a budget given replaces the stored one whole)" : ""));
  scheduler_ = make_scheduler(o_.schedule, o_.lr, total_steps_);
  if (writer()) {
    if (!state) prepare_fresh_run_directory(run_dir_);
    lock_ = std::make_unique<RunDirectoryLock>(run_dir_);
    remove_leftover_temporaries(run_dir_);
  }
  params_ = task_.parameters();
  pos_.data_fingerprint = task_.data_fingerprint();
  // Before a resumed position is restored: the task restores its share of it.
  if (world_) join(*world_, shared_options);
  optimizer_ = make_optimizer(o_, params_);
  if (state) {
    const std::string path = run_dir_ + "/state.bin";
    try {
      task_.load_state_dict(model_tensors_of(*state));
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
    pos_ = restore_train_state(*state, path, task_, *optimizer_, *scheduler_, rng_);
  }
  progress_ = std::make_unique<Progress>(run_dir_, state ? pos_.step : -1, state ? pos_.epoch : -1,
                                         writer());
  saved_at_step_ = state ? pos_.step : -1;
  saved_at_epoch_ = state ? pos_.epoch : -1;
  logged_at_step_ = pos_.step;
  if (state) {
    // A resumed run whose last.safetensors is gone or unreadable (deleted, cut short with a disk)
    // writes it again with its next checkpoint, even with nothing left to train. Rank 0 alone
    // sees the run directory and decides for all: ranks deciding apart would wait in different
    // collectives.
    std::string rewrite = writer() && !whole_model_file(run_dir_ + "/last.safetensors") ? "y" : "";
    if (world_) world_->broadcast(rewrite, 0);
    if (!rewrite.empty()) saved_at_epoch_ = -1;
  }
}

// What the ranks must have alike, in the words of the errors when they do not.
struct Alike {
  const char* has;      // "rank 1 <has> lr = 0.5, rank 0 1.0"
  const char* must_be;  // after the values
};
constexpr Alike kSameOptions{"was given",
                             "every rank must be given the same options (docs/DISTRIBUTED.md)"};
constexpr Alike kSameModel{
    "built a model with",
    "every rank must start from the same model; is its --init-from file another than rank 0's? "
    "(docs/DISTRIBUTED.md)"};

// A value for an error: a float option as the float it is (dropout 0.6, not 0.6000000238418579),
// a long one cut.
std::string shown(const json& value) {
  if (value.is_number_float()) {
    const double d = value.get<double>();
    const auto f = static_cast<float>(d);
    char digits[32];
    if (static_cast<double>(f) == d && std::isfinite(d)) {
      std::string text(digits, std::to_chars(digits, digits + sizeof digits, f).ptr);
      return text.find_first_of(".e") == std::string::npos ? text + ".0" : text;
    }
  }
  const std::string text = value.dump();
  return text.size() > kQuotedBytes ? quote(text) : text;
}

// Ranks given other options would train something else (another learning rate or shape), or wait
// in other collectives than the others (another budget or checkpoint interval: a hang). Every
// rank names the first key in which the first rank that differs from rank 0 does: whichever
// rank's error ends the job, it says what differs.
void check_alike(Communicator& world, const json& mine, const Alike& words) {
  const int64_t ranks = world.size();
  const std::string text = mine.dump();
  const uint64_t sum = Fingerprint().add(text).value();
  std::vector<uint64_t> sums(ranks);
  world.allgather(std::span(&sum, 1), sums);
  const auto differs =
      std::find_if(sums.begin(), sums.end(), [&](uint64_t s) { return s != sums[0]; });
  if (differs == sums.end()) return;
  const int r = static_cast<int>(differs - sums.begin());
  std::string first = text, theirs = text;
  world.broadcast(first, 0);
  world.broadcast(theirs, r);
  const json a = json::parse(first), b = json::parse(theirs);
  json keys = a;
  keys.update(b);
  for (const auto& [key, unused] : keys.items())
    if (a.value(key, json()) != b.value(key, json()))
      throw Error("rank " + std::to_string(r) + " " + words.has + " " + key + " = " +
                  shown(b.value(key, json())) + ", rank 0 " + shown(a.value(key, json())) + ": " +
                  words.must_be);
  throw Error("rank " + std::to_string(r) + " " + words.has + " other values than rank 0's");
}

// The model a rank built, for check_alike: its metadata (configuration, vocabulary), a JSON
// object's members one by one. Ranks given the same options still build other models from
// --init-from files of one path that differ between machines: another shape would break the
// broadcast of rank 0's weights, another dropout would train something else silently.
json model_description(const std::map<std::string, std::string>& metadata) {
  json described = json::object();
  for (const auto& [key, value] : metadata) {
    const json parsed = json::parse(value, nullptr, false);
    if (!parsed.is_object()) {
      described[key] = value;
      continue;
    }
    for (const auto& [member, member_value] : parsed.items())
      described[key + "." + member] = member_value;
  }
  return described;
}

void Engine::join(Communicator& world, const json& shared_options) {
  const int64_t ranks = world.size();
  check_alike(world, shared_options, kSameOptions);
  if (o_.batch < ranks)
    throw Error(std::to_string(ranks) + " processes need a global batch of at least " +
                std::to_string(ranks) + " (--batch " + std::to_string(o_.batch) + ")");
  if (o_.batch % ranks != 0)
    throw Error("--batch " + std::to_string(o_.batch) + " does not divide among " +
                std::to_string(ranks) + " processes: each trains --batch / N of every batch");
  const uint64_t mine = pos_.data_fingerprint;
  std::vector<uint64_t> all(ranks);
  world.allgather(std::span(&mine, 1), all);
  for (int64_t r = 1; r < ranks; ++r)
    if (all[r] != all[0])
      throw Error("rank " + std::to_string(r) +
                  " read other training data or another vocabulary than rank 0 (checksums " +
                  std::to_string(all[r]) + " and " + std::to_string(all[0]) +
                  "); every rank must read the same files (docs/DISTRIBUTED.md)");
  check_alike(world, model_description(task_.model_metadata()), kSameModel);
  // The same seed gave every rank the same initial weights; rank 0's are sent anyway, so that a
  // rank can never start from others.
  for (Parameter* p : params_) world.broadcast(p->value.span(), 0);
  note_weights_changed();
  reducer_ = std::make_unique<GradientReducer>(world, params_);
  task_.set_data_parallel({&world, reducer_.get()});
}

LossResult Engine::reduce_step(const LossResult& local, bool& stop) {
  const LossResult global = reducer_->finish(local, stop);
  communication_since_log_.reducing += reducer_->last_step().reducing;
  communication_since_log_.waiting += reducer_->last_step().waiting;
  struct {
    Rng::State rng;
    double elapsed;
  } shared{rng_.state(),
           elapsed_at_start_ + std::chrono::duration<double>(Clock::now() - started_).count()};
  std::string bytes(reinterpret_cast<const char*>(&shared), sizeof shared);
  world_->broadcast(bytes, 0);
  std::memcpy(&shared, bytes.data(), sizeof shared);
  rng_.set_state(shared.rng);
  pos_.elapsed = shared.elapsed;
  return global;
}

std::string Engine::what_is_kept() const {
  if (saved_at_step_ >= 0)
    return "the last good checkpoint in " + run_dir_ + " (step " + std::to_string(saved_at_step_) +
           ") is kept";
  return "no checkpoint was written before, so " + run_dir_ +
         " holds no model to resume (delete it, or train into another --out)";
}

void Engine::save_checkpoint() {
  // An epoch that ends at a step already saved is saved again: the position moved on.
  if (saved_at_step_ == pos_.step && saved_at_epoch_ == pos_.epoch) return;
  elapsed_at_save_ = pos_.elapsed;  // on every rank, the writer or not
  if (!all_finite(params_))
    throw Error("parameters became non-finite at step " + std::to_string(pos_.step) + "; " +
                what_is_kept() + ". Lower --lr or use --clip");
  task_.gather_position();
  if (!writer()) {
    saved_at_step_ = pos_.step;
    saved_at_epoch_ = pos_.epoch;
    return;
  }
  json train = {{"step", pos_.step}, {"epoch", pos_.epoch}, {"seconds", pos_.elapsed}};
  // last.safetensors first: state.bin commits the checkpoint, so a crash between the two
  // leaves a run that resumes from the previous state and writes both again.
  try {
    progress_->sync();
    task_.save_model(run_dir_ + "/last.safetensors", {{"rnnkit.train", train.dump()}},
                     storage_dtype(o_.dtype));
    write_train_state(run_dir_ + "/state.bin", task_, *optimizer_, *scheduler_, rng_, pos_,
                      family_options_);
  } catch (const Error& e) {
    // state.bin commits a checkpoint: until it is written, the one before stands.
    throw Error(std::string(e.what()) + "; " + what_is_kept());
  }
  saved_at_step_ = pos_.step;
  saved_at_epoch_ = pos_.epoch;
}

bool Engine::budget_left() const {
  if (o_.steps > 0 && pos_.step >= o_.steps) return false;
  if (o_.epochs > 0 && pos_.epoch >= o_.epochs) return false;
  if (o_.time_limit > 0 && pos_.elapsed >= o_.time_limit) return false;
  if (o_.steps == 0 && o_.epochs == 0 && o_.time_limit == 0 && pos_.epoch >= 1) return false;
  return true;
}

void Engine::validate() {
  std::optional<ValidationResult> v = task_.validate();
  if (!v) return;
  json record = {{"type", "valid"}, {"step", pos_.step}, {"epoch", pos_.epoch}};
  record.update(v->fields);
  progress_->record(record);
  summary_.last_validation = v->fields;
  progress_->message("step " + std::to_string(pos_.step) + " " + v->summary);
  scheduler_->on_validation(v->loss);
  if (v->loss < pos_.best_valid_loss) {
    pos_.best_valid_loss = v->loss;
    if (!writer()) return;
    json about = {{"step", pos_.step}};
    about.update(v->fields);
    task_.save_model(run_dir_ + "/best.safetensors", {{"rnnkit.train", about.dump()}},
                     storage_dtype(o_.dtype));
  }
}

void Engine::print_sample() {
  if (!writer()) return;
  const std::string text = task_.sample(o_.sample_length, o_.seed + pos_.step);
  if (text.empty()) return;
  progress_->record({{"type", "sample"}, {"step", pos_.step}, {"text", text}});
  progress_->message("step " + std::to_string(pos_.step) + " sample:\n" + text);
}

void Engine::end_epoch() {
  ++pos_.epoch;
  const double loss = pos_.epoch_tokens ? pos_.epoch_loss_sum / pos_.epoch_tokens : 0.0;
  summary_.last_epoch_loss = loss;
  json record = {{"type", "epoch"},
                 {"step", pos_.step},
                 {"epoch", pos_.epoch},
                 {"train_loss", loss},
                 {"seconds", pos_.elapsed}};
  std::string message =
      "epoch " + std::to_string(pos_.epoch) + " training loss " + std::to_string(loss);
  if (pos_.epoch_tokens == 0) {
    // Every batch of the epoch was skipped (--skip-nonfinite): it has no loss, not a loss of 0.
    record["train_loss"] = nullptr;
    message = "epoch " + std::to_string(pos_.epoch) + ": no batch trained (all skipped)";
  } else if (task_.loss_is_perplexity()) {
    summary_.last_epoch_perplexity = std::exp(loss);
    record["train_ppl"] = summary_.last_epoch_perplexity;
    message = "epoch " + std::to_string(pos_.epoch) + " training perplexity " +
              std::to_string(summary_.last_epoch_perplexity);
  }
  progress_->record(record);
  progress_->message(message);
  pos_.epoch_loss_sum = 0;
  pos_.epoch_tokens = 0;
  scheduler_->on_epoch_end();
  if (o_.valid_every == 0) validate();
  // The task moves to the next epoch before the checkpoint, so a resume starts there.
  task_.start_epoch(rng_);
  if (o_.checkpoint_every == 0) save_checkpoint();
}

void Engine::log_step(double loss, float norm, int64_t tokens) {
  tokens_since_log_ += tokens;
  const int64_t every =
      o_.log_every > 0
          ? o_.log_every
          : std::max<int64_t>(1, std::min<int64_t>(100, task_.batches_per_epoch() / 10));
  // The budget's last step too (--steps, --epochs or --time): a run shorter than the interval
  // reports its loss, and a leg's metrics end at the step it stopped at.
  const bool log_line = pos_.step % every == 0 || !budget_left();
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - last_log_).count();
  const double rate = dt > 0 ? tokens_since_log_ / dt : 0;
  if (log_line) {
    json record = {{"type", "train"},      {"step", pos_.step},      {"epoch", pos_.epoch},
                   {"train_loss", loss},   {"lr", optimizer_->lr()}, {"grad_norm", norm},
                   {"tokens_per_s", rate}, {"seconds", pos_.elapsed}};
    if (task_.loss_is_perplexity()) record["train_ppl"] = std::exp(loss);
    if (world_) {
      // Per step, averaged since the last line: all-reduce seconds, and those not hidden
      // behind the backward pass.
      const double steps = static_cast<double>(std::max<int64_t>(1, pos_.step - logged_at_step_));
      record["comm_s"] = communication_since_log_.reducing / steps;
      record["comm_wait_s"] = communication_since_log_.waiting / steps;
      record["ranks"] = world_->size();
      communication_since_log_ = {};
      logged_at_step_ = pos_.step;
    }
    progress_->record(record);
  }
  double eta = -1;
  if (total_steps_ > 0 && pos_.step > 0)
    eta = (pos_.elapsed - elapsed_at_start_) / std::max<int64_t>(1, pos_.step - steps_at_start_) *
          (total_steps_ - pos_.step);
  if (o_.time_limit > 0)
    eta = eta < 0 ? o_.time_limit - pos_.elapsed : std::min(eta, o_.time_limit - pos_.elapsed);
  const std::string ppl = task_.loss_is_perplexity() ? formatted(" ppl %.2f", std::exp(loss)) : "";
  std::string text =
      formatted("epoch %lld step %lld%s loss %.4f%s lr %.3g |g| %.3g %.0f tok/s eta %s",
                static_cast<long long>(pos_.epoch + 1), static_cast<long long>(pos_.step),
                total_steps_ ? ("/" + std::to_string(total_steps_)).c_str() : "", loss, ppl.c_str(),
                optimizer_->lr(), norm, rate, format_duration(eta).c_str());
  if (world_) {
    // The last step's all-reduce time and the part of it the backward pass did not hide.
    const CommunicationTime& c = reducer_->last_step();
    char comm[96];
    std::snprintf(comm, sizeof comm, " | %d ranks, comm %.1f ms (%.0f%% hidden)", world_->size(),
                  1e3 * c.reducing,
                  c.reducing > 0 ? 100.0 * std::max(0.0, 1.0 - c.waiting / c.reducing) : 100.0);
    text += comm;
  }
  progress_->status(text, log_line);
  if (log_line || dt > 1.0) {
    tokens_since_log_ = 0;
    last_log_ = now;
  }
}

void Engine::finish_step(const LossResult& r) {
  const double loss = r.mean();
  // The clipping is the optimizer step's scale of the grads (clip_coefficient), not a pass of
  // its own over them.
  const float norm = grad_norm(params_);
  const float grad_scale = o_.clip > 0 ? clip_coefficient(norm, static_cast<float>(o_.clip)) : 1.0f;
  if (!world_)
    pos_.elapsed =
        elapsed_at_start_ + std::chrono::duration<double>(Clock::now() - started_).count();
  if (!std::isfinite(loss) || !std::isfinite(norm)) {
    const std::string what = "non-finite " +
                             std::string(std::isfinite(loss) ? "gradient norm" : "loss") +
                             " at step " + std::to_string(pos_.step + 1);
    if (!o_.skip_nonfinite)
      throw Error(what + "; stopped: " + what_is_kept() +
                  ". Lower --lr, use --clip, or pass --skip-nonfinite to skip such batches");
    // A skipped batch still uses up a step of the budget, so a run that only meets bad
    // batches ends; too many in a row means the model itself is broken.
    ++pos_.skipped;
    ++pos_.step;
    scheduler_->on_step();  // the schedule keeps to the budget's steps (cosine ends at its last)
    task_.after_skipped_batch();
    progress_->message(what + ": batch skipped");
    if (++pos_.consecutive_skips >= kMaxConsecutiveSkips)
      throw Error(std::to_string(kMaxConsecutiveSkips) +
                  " non-finite batches in a row; stopped: " + what_is_kept());
    return;
  }
  pos_.consecutive_skips = 0;
  optimizer_->set_lr(scheduler_->lr());
  optimizer_->step_and_zero_grad(grad_scale);
  grads_zeroed_ = true;
  scheduler_->on_step();
  ++pos_.step;
  pos_.epoch_loss_sum += r.loss_sum;
  pos_.epoch_tokens += r.count;
  log_step(loss, norm, r.count);
}

TrainSummary Engine::run() {
  started_ = last_log_ = Clock::now();
  elapsed_at_start_ = elapsed_at_save_ = pos_.elapsed;
  steps_at_start_ = pos_.step;
  int64_t count = 0;
  for (const Parameter* p : params_) count += p->value.numel();
  progress_->message("training " + std::to_string(count) + " parameters, " + task_.description() +
                     ", " + counted(task_.batches_per_epoch(), "batch", "batches") + " per epoch" +
                     (pos_.step ? ", resuming at step " + std::to_string(pos_.step) : ""));
  // A run stopped (or killed) after an epoch's last batch, before closing the epoch, closes it
  // first: its budget may be spent, and it is what the uninterrupted run did next.
  if (pos_.step > 0 && task_.epoch_done()) end_epoch();
  if (pos_.step > 0 && !budget_left())
    progress_->message("nothing to train: the run is at step " + std::to_string(pos_.step) +
                       ", epoch " + std::to_string(pos_.epoch) +
                       " already, at or past its budget (--steps, --epochs or --time to go on)");
  while (budget_left()) {
    if (!grads_zeroed_) zero_grad(params_);
    grads_zeroed_ = false;
    LossResult loss;
    if (!task_.train_next(rng_, loss)) {
      end_epoch();
      continue;
    }
    bool stop = stop_signal.load() != 0 || thread_stop_signal() != 0;
    // Every rank stops after the same step: the signal of any.
    if (world_) loss = reduce_step(loss, stop);
    finish_step(loss);
    if (o_.valid_every > 0 && pos_.step % o_.valid_every == 0) validate();
    if (o_.sample_every > 0 && pos_.step % o_.sample_every == 0) print_sample();
    if (o_.checkpoint_every > 0 && pos_.step % o_.checkpoint_every == 0) save_checkpoint();
    // pos_.elapsed is rank 0's clock on every rank: all of them save at the same step.
    if (o_.checkpoint_minutes > 0 && pos_.elapsed - elapsed_at_save_ >= 60 * o_.checkpoint_minutes)
      save_checkpoint();
    if (stop) {
      summary_.stop_signal = stop_signal.load()     ? stop_signal.load()
                             : thread_stop_signal() ? thread_stop_signal()
                                                    : SIGTERM;
      break;
    }
    // After the step's own validation, sample and checkpoint, as the next iteration would
    // (the same order of random draws); a budget that ends here then still closes the epoch.
    if (task_.epoch_done()) end_epoch();
  }
  progress_->finish();
  save_checkpoint();
  summary_.steps = pos_.step;
  summary_.epochs = pos_.epoch;
  summary_.skipped_batches = pos_.skipped;  // the run's, as its steps: a resumed one's too
  summary_.run_dir = run_dir_;
  if (std::isfinite(pos_.best_valid_loss)) {
    summary_.best_valid_loss = pos_.best_valid_loss;
    if (task_.loss_is_perplexity()) summary_.best_valid_perplexity = std::exp(pos_.best_valid_loss);
  }
  return summary_;
}

// The run's thread count and matrix-product precision are the process's only while it runs: the
// Python package goes on to evaluate and generate in the same process, as it was set before. Both
// are the process's (every thread's kernels read them), so runs at the same time (Python threads)
// must agree on them: the first to start keeps what the process had, the last to end gives it
// back, and one that asks for others meanwhile is refused (it would have changed the others'
// products). A stop asked for ends with the runs, not at their start: one asked for while the
// data was read (the command line takes its signals from the start) stops the run after its
// first step.
class RunSettings {
 public:
  RunSettings(int threads, Precision precision) {
    const std::lock_guard lock(mutex_);
    if (active_ == 0) {
      saved_threads_ = pinned_num_threads();
      saved_precision_ = matmul_precision();
      set_matmul_precision(precision);  // first: it refuses bf16 on a CPU without it
      if (threads > 0) set_num_threads(threads);
      threads_ = threads;
      precision_ = precision;
    } else if (precision != precision_ || threads != threads_) {
      throw Error(std::string("another training run of this process computes with ") +
                  (precision_ == Precision::BF16 ? "bf16" : "f32") + " products on " +
                  (threads_ > 0 ? std::to_string(threads_) : std::string("adaptive")) +
                  " threads, which are the process's: give this one the same (bf16 and "
                  "threads) or run it after");
    }
    ++active_;
  }
  ~RunSettings() {
    const std::lock_guard lock(mutex_);
    if (--active_ > 0) return;
    set_num_threads(saved_threads_);
    set_matmul_precision(saved_precision_);
    stop_signal.store(0);
  }
  RunSettings(const RunSettings&) = delete;
  RunSettings& operator=(const RunSettings&) = delete;

  // A setting changed by another thread during a run would change that run's products, and the
  // run's end would then put the earlier value back over it.
  template <class Set>
  static void change_between_runs(const char* setting, const Set& set) {
    const std::lock_guard lock(mutex_);
    if (active_ > 0)
      throw Error(std::string("the ") + setting +
                  " cannot change while a training run of this process holds it (the run sets "
                  "its own and gives the earlier one back when it ends): change it after the run");
    set();
  }

 private:
  static inline std::mutex mutex_;
  static inline int active_ = 0, threads_ = 0, saved_threads_ = 0;
  static inline Precision precision_ = Precision::F32, saved_precision_ = Precision::F32;
};

}  // namespace

void set_num_threads_between_runs(int threads) {
  RunSettings::change_between_runs("thread count", [&] { set_num_threads(threads); });
}

void set_matmul_precision_between_runs(Precision precision) {
  RunSettings::change_between_runs("matmul precision", [&] { set_matmul_precision(precision); });
}

void request_training_stop(int signal) {
  stop_signal.store(signal);
}

ScopedRunStop::ScopedRunStop(const std::atomic<int>& request) : previous_(thread_stop) {
  thread_stop = &request;
}

ScopedRunStop::~ScopedRunStop() {
  thread_stop = previous_;
}

TrainSummary run_training(TrainingTask& task, const EngineOptions& options, Rng& rng,
                          const nlohmann::json& family_options, const SafetensorsFile* resume_from,
                          const nlohmann::json& shared_options) {
  const RunSettings settings(options.threads, options.bf16 ? Precision::BF16 : Precision::F32);
  return Engine(task, options, rng, family_options, shared_options, resume_from,
                distributed() ? &world() : nullptr)
      .run();
}

}  // namespace rnnkit
