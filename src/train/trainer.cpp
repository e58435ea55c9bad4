// The training loop of `rnnkit train`, kept in one file so a whole step reads top to bottom:
// next batch -> forward/backward -> clip -> optimiser step -> log, validate, checkpoint.
#include "rnnkit/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "rnnkit/adam.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/gemm.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/lr_scheduler.h"
#include "rnnkit/pretrained_embeddings.h"
#include "rnnkit/sgd.h"
#include "train/progress.h"
#include "train/training_data.h"

namespace rnnkit {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::atomic<int> stop_signal{0};

DType storage_dtype(const std::string& name) {
  if (name == "f16") return DType::F16;
  if (name == "bf16") return DType::BF16;
  return DType::F32;
}

LMConfig config_from(const TrainOptions& o, int64_t vocab_size) {
  LMConfig c;
  c.cell = parse_cell_kind(o.cell);
  c.vocab_size = vocab_size;
  c.embedding_dim = o.embedding;
  c.hidden_size = o.hidden;
  c.proj_size = o.proj_size;
  c.num_layers = o.layers;
  c.bidirectional = o.bidirectional;
  c.dropout = static_cast<float>(o.dropout);
  c.tie_weights = o.tie_weights;
  return c;
}

std::unique_ptr<Optimizer> make_optimizer(const TrainOptions& o, const ParameterList& params) {
  if (o.optimizer == "sgd") {
    SGDOptions s;
    s.lr = o.lr;
    s.momentum = o.momentum;
    s.weight_decay = o.weight_decay;
    return std::make_unique<SGD>(params, s);
  }
  AdamOptions a;
  a.lr = o.lr;
  a.beta1 = o.beta1;
  a.beta2 = o.beta2;
  a.eps = o.eps;
  a.weight_decay = o.weight_decay;
  a.decoupled_weight_decay = o.optimizer == "adamw";
  return std::make_unique<Adam>(params, a);
}

bool all_finite(const ParameterList& params) {
  for (const Parameter* p : params)
    for (float v : p->value.span())
      if (!std::isfinite(v)) return false;
  return true;
}

// Everything beyond tensors that an exact resume needs.
struct Position {
  int64_t step = 0, epoch = 0;
  BatchPosition batches;
  double elapsed = 0;
  double epoch_loss_sum = 0;
  int64_t epoch_tokens = 0;
  double best_valid_loss = std::numeric_limits<double>::infinity();
  int64_t skipped = 0;
};

class TrainingRun {
 public:
  // state_file: the state.bin of the run to resume, or null for a fresh run.
  TrainingRun(const TrainOptions& options, const SafetensorsFile* state_file);
  TrainSummary run();

 private:
  bool budget_left() const;
  void train_step(const TokenBatch& batch);
  void end_epoch();
  void validate();
  void save_checkpoint();
  void restore(const SafetensorsFile& state_file);
  void log_step(double loss, float norm, int64_t tokens);

  TrainOptions o_;
  std::string run_dir_;
  TrainingData data_;
  Rng rng_;
  std::unique_ptr<LanguageModel> model_;
  ParameterList params_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<LRScheduler> scheduler_;
  std::unique_ptr<TokenBatcher> batcher_;
  std::unique_ptr<Progress> progress_;
  LMState state_;
  Position pos_;
  int64_t total_steps_ = 0;
  Clock::time_point started_;
  double elapsed_at_start_ = 0;
  int64_t tokens_since_log_ = 0;
  Clock::time_point last_log_;
  int64_t saved_at_step_ = -1;
  int64_t consecutive_skips_ = 0;
  static constexpr int64_t kMaxConsecutiveSkips = 100;
  TrainSummary summary_;
};

TrainingRun::TrainingRun(const TrainOptions& options, const SafetensorsFile* state_file)
    : o_(options), run_dir_(options.out_dir), rng_(options.seed) {
  std::optional<Vocab> vocab;
  std::unique_ptr<LanguageModel> initial;
  if (state_file) {
    vocab = Vocab::from_json(state_file->metadata.at("rnnkit.vocab"));
  } else if (!o_.init_from.empty()) {
    LoadedLanguageModel loaded = load_language_model(o_.init_from);
    if (!loaded.vocab) throw Error(o_.init_from + " holds no vocabulary (rnnkit.vocab metadata)");
    vocab = std::move(loaded.vocab);
    initial = std::move(loaded.model);
  }
  o_.validate();
  if (o_.threads > 0) set_num_threads(o_.threads);
  set_matmul_precision(o_.bf16 ? Precision::BF16 : Precision::F32);
  fs::create_directories(run_dir_);

  data_ = load_training_data(o_, vocab ? &*vocab : nullptr);
  if (initial) {
    model_ = std::move(initial);
  } else {
    LMConfig config = state_file ? LMConfig::from_json(state_file->metadata.at("rnnkit.config"))
                                 : config_from(o_, data_.vocab.size());
    model_ = std::make_unique<LanguageModel>(config);
    model_->reset_parameters(rng_);
    if (o_.init_range > 0)
      for (Parameter* p : model_->parameters())
        for (float& v : p->value.span())
          v = rng_.uniform(-static_cast<float>(o_.init_range), static_cast<float>(o_.init_range));
    if (!o_.pretrained_embeddings.empty()) {
      if (!model_->embedding()) throw Error("--pretrained-embeddings needs --embedding > 0");
      int64_t found =
          load_pretrained_embeddings(*model_->embedding(), data_.vocab, o_.pretrained_embeddings);
      std::fprintf(stderr, "pretrained vectors for %lld of %lld tokens\n",
                   static_cast<long long>(found), static_cast<long long>(data_.vocab.size()));
    }
  }
  params_ = model_->parameters();
  optimizer_ = make_optimizer(o_, params_);
  batcher_ = make_batcher(o_, data_, &rng_);
  if (o_.steps > 0)
    total_steps_ = o_.steps;
  else if (o_.epochs > 0)
    total_steps_ = o_.epochs * batcher_->batches_per_epoch();
  scheduler_ = make_scheduler(o_.schedule, o_.lr, total_steps_);
  if (state_file) restore(*state_file);
  progress_ = std::make_unique<Progress>(run_dir_, state_file ? pos_.step : -1);
  saved_at_step_ = state_file ? pos_.step : -1;
}

void TrainingRun::restore(const SafetensorsFile& f) {
  std::map<std::string, Tensor> model_tensors;
  for (const auto& [name, t] : f.tensors)
    if (name.rfind("model.", 0) == 0) model_tensors[name.substr(6)] = t;
  model_->load_state_dict(model_tensors);
  optimizer_->load_state_tensors(f.tensors);
  const json s = json::parse(f.metadata.at("rnnkit.train_state"));
  pos_.step = s.at("step");
  pos_.epoch = s.at("epoch");
  pos_.batches = {s.at("batch_epoch"), s.at("batch_index"), s.at("batch_offset")};
  pos_.elapsed = s.at("elapsed");
  pos_.epoch_loss_sum = s.at("epoch_loss_sum");
  pos_.epoch_tokens = s.at("epoch_tokens");
  pos_.best_valid_loss = s.at("best_valid_loss").is_null() ? std::numeric_limits<double>::infinity()
                                                           : s.at("best_valid_loss").get<double>();
  pos_.skipped = s.at("skipped");
  Rng::State rng_state;
  for (int i = 0; i < 4; ++i) rng_state[i] = std::stoull(s.at("rng")[i].get<std::string>());
  rng_.set_state(rng_state);
  optimizer_->set_step_count(s.at("optimizer_steps"));
  scheduler_->load_state(s.at("scheduler").get<LRScheduler::State>());
  batcher_->set_position(pos_.batches);
  if (f.tensors.count("state.h")) state_.h = f.tensors.at("state.h");
  if (f.tensors.count("state.c")) state_.c = f.tensors.at("state.c");
}

void TrainingRun::save_checkpoint() {
  if (saved_at_step_ == pos_.step) return;
  if (!all_finite(params_))
    throw Error("parameters became non-finite at step " + std::to_string(pos_.step) +
                "; the last good checkpoint in " + run_dir_ +
                " is kept (lower --lr or use --clip)");
  const double elapsed = pos_.elapsed;
  json train = {{"step", pos_.step}, {"epoch", pos_.epoch}, {"seconds", elapsed}};
  save_language_model(run_dir_ + "/last.safetensors", *model_, &data_.vocab,
                      {{"rnnkit.train", train.dump()}}, storage_dtype(o_.dtype));

  NamedTensors tensors;
  std::vector<std::string> names;
  for (const auto& [name, t] : model_->state_dict()) tensors.emplace_back("model." + name, t);
  for (const auto& [name, t] : optimizer_->state_tensors()) tensors.emplace_back(name, t);
  if (!state_.h.empty()) tensors.emplace_back("state.h", &state_.h);
  if (!state_.c.empty()) tensors.emplace_back("state.c", &state_.c);
  const Rng::State& r = rng_.state();
  const double best = pos_.best_valid_loss;
  json s = {
      {"step", pos_.step},
      {"epoch", pos_.epoch},
      {"batch_epoch", pos_.batches.epoch},
      {"batch_index", pos_.batches.index},
      {"batch_offset", pos_.batches.offset},
      {"elapsed", elapsed},
      {"epoch_loss_sum", pos_.epoch_loss_sum},
      {"epoch_tokens", pos_.epoch_tokens},
      {"best_valid_loss", std::isfinite(best) ? json(best) : json(nullptr)},
      {"skipped", pos_.skipped},
      {"rng",
       {std::to_string(r[0]), std::to_string(r[1]), std::to_string(r[2]), std::to_string(r[3])}},
      {"optimizer_steps", optimizer_->step_count()},
      {"scheduler", scheduler_->state()}};
  write_safetensors(run_dir_ + "/state.bin", tensors,
                    {{"rnnkit.train_state", s.dump()},
                     {"rnnkit.options", o_.to_json()},
                     {"rnnkit.config", model_->config().to_json()},
                     {"rnnkit.vocab", data_.vocab.to_json()}});
  saved_at_step_ = pos_.step;
}

bool TrainingRun::budget_left() const {
  if (o_.steps > 0 && pos_.step >= o_.steps) return false;
  if (o_.epochs > 0 && pos_.epoch >= o_.epochs) return false;
  if (o_.time_limit > 0 && pos_.elapsed >= o_.time_limit) return false;
  if (o_.steps == 0 && o_.epochs == 0 && o_.time_limit == 0 && pos_.epoch >= 1) return false;
  return true;
}

void TrainingRun::validate() {
  const bool have = data_.poems ? !data_.valid_seqs.empty() : data_.valid_ids.size() >= 2;
  if (!have) return;
  Perplexity p = data_.poems ? evaluate_sequences(*model_, data_.valid_seqs, *data_.vocab.pad_id(),
                                                  128, o_.poem_max_length)
                             : evaluate_stream(*model_, data_.valid_ids);
  progress_->record({{"type", "valid"},
                     {"step", pos_.step},
                     {"epoch", pos_.epoch},
                     {"valid_loss", p.cross_entropy},
                     {"valid_ppl", p.perplexity()}});
  progress_->message("step " + std::to_string(pos_.step) + " validation perplexity " +
                     std::to_string(p.perplexity()) + " (" + std::to_string(p.tokens) + " tokens)");
  scheduler_->on_validation(p.cross_entropy);
  if (p.cross_entropy < pos_.best_valid_loss) {
    pos_.best_valid_loss = p.cross_entropy;
    save_language_model(
        run_dir_ + "/best.safetensors", *model_, &data_.vocab,
        {{"rnnkit.train", json({{"step", pos_.step}, {"valid_ppl", p.perplexity()}}).dump()}},
        storage_dtype(o_.dtype));
  }
  summary_.best_valid_perplexity = std::exp(pos_.best_valid_loss);
}

void TrainingRun::end_epoch() {
  ++pos_.epoch;
  const double ppl = pos_.epoch_tokens ? std::exp(pos_.epoch_loss_sum / pos_.epoch_tokens) : 0;
  summary_.last_epoch_perplexity = ppl;
  progress_->record(
      {{"type", "epoch"},
       {"step", pos_.step},
       {"epoch", pos_.epoch},
       {"train_ppl", ppl},
       {"train_loss", pos_.epoch_tokens ? pos_.epoch_loss_sum / pos_.epoch_tokens : 0.0},
       {"seconds", pos_.elapsed}});
  progress_->message("epoch " + std::to_string(pos_.epoch) + " training perplexity " +
                     std::to_string(ppl));
  pos_.epoch_loss_sum = 0;
  pos_.epoch_tokens = 0;
  scheduler_->on_epoch_end();
  if (o_.valid_every == 0) validate();
  // The batcher moves to the next epoch before the checkpoint, so a resume starts there.
  batcher_->start_epoch();
  pos_.batches = batcher_->position();
  if (o_.checkpoint_every == 0) save_checkpoint();
}

void TrainingRun::log_step(double loss, float norm, int64_t tokens) {
  tokens_since_log_ += tokens;
  const int64_t every =
      o_.log_every > 0
          ? o_.log_every
          : std::max<int64_t>(1, std::min<int64_t>(100, batcher_->batches_per_epoch() / 10));
  const bool log_line = pos_.step % every == 0;
  const auto now = Clock::now();
  const double dt = std::chrono::duration<double>(now - last_log_).count();
  const double rate = dt > 0 ? tokens_since_log_ / dt : 0;
  if (log_line) {
    progress_->record({{"type", "train"},
                       {"step", pos_.step},
                       {"epoch", pos_.epoch},
                       {"train_loss", loss},
                       {"train_ppl", std::exp(loss)},
                       {"lr", optimizer_->lr()},
                       {"grad_norm", norm},
                       {"tokens_per_s", rate},
                       {"seconds", pos_.elapsed}});
  }
  double eta = -1;
  if (total_steps_ > 0 && pos_.step > 0)
    eta = (pos_.elapsed - elapsed_at_start_) / std::max<int64_t>(1, pos_.step - summary_.steps) *
          (total_steps_ - pos_.step);
  if (o_.time_limit > 0)
    eta = eta < 0 ? o_.time_limit - pos_.elapsed : std::min(eta, o_.time_limit - pos_.elapsed);
  char line[256];
  std::snprintf(line, sizeof line,
                "epoch %lld step %lld%s loss %.4f ppl %.2f lr %.3g |g| %.3g %.0f tok/s eta %s",
                static_cast<long long>(pos_.epoch + 1), static_cast<long long>(pos_.step),
                total_steps_ ? ("/" + std::to_string(total_steps_)).c_str() : "", loss,
                std::exp(loss), optimizer_->lr(), norm, rate, format_duration(eta).c_str());
  progress_->status(line, log_line);
  if (log_line || dt > 1.0) {
    tokens_since_log_ = 0;
    last_log_ = now;
  }
}

void TrainingRun::train_step(const TokenBatch& batch) {
  if (batcher_->starts_new_stream()) state_.reset();
  zero_grad(params_);
  LossResult r = model_->forward_backward(batch, state_, true, true, &rng_);
  const double loss = r.mean();
  const float norm =
      o_.clip > 0 ? clip_grad_norm(params_, static_cast<float>(o_.clip)) : grad_norm(params_);
  if (!std::isfinite(loss) || !std::isfinite(norm)) {
    const std::string what = "non-finite " +
                             std::string(std::isfinite(loss) ? "gradient norm" : "loss") +
                             " at step " + std::to_string(pos_.step + 1);
    if (!o_.skip_nonfinite)
      throw Error(
          what + "; stopped. The last good checkpoint in " + run_dir_ +
          " is kept. Lower --lr, use --clip, or pass --skip-nonfinite to skip such batches");
    // A skipped batch still uses up a step of the budget, so a run that only meets bad
    // batches ends; too many in a row means the model itself is broken.
    ++pos_.skipped;
    ++summary_.skipped_batches;
    ++pos_.step;
    pos_.batches = batcher_->position();
    state_.reset();
    progress_->message(what + ": batch skipped");
    if (++consecutive_skips_ >= kMaxConsecutiveSkips)
      throw Error(std::to_string(kMaxConsecutiveSkips) +
                  " non-finite batches in a row; stopped. The last good "
                  "checkpoint in " +
                  run_dir_ + " is kept");
    return;
  }
  consecutive_skips_ = 0;
  optimizer_->set_lr(scheduler_->lr());
  optimizer_->step();
  scheduler_->on_step();
  ++pos_.step;
  pos_.epoch_loss_sum += r.loss_sum;
  pos_.epoch_tokens += r.count;
  pos_.batches = batcher_->position();
  pos_.elapsed = elapsed_at_start_ + std::chrono::duration<double>(Clock::now() - started_).count();
  log_step(loss, norm, r.count);
}

TrainSummary TrainingRun::run() {
  started_ = last_log_ = Clock::now();
  elapsed_at_start_ = pos_.elapsed;
  summary_.steps = pos_.step;
  progress_->message("training " + std::to_string(model_->parameter_count()) +
                     " parameters, vocabulary " + std::to_string(data_.vocab.size()) + ", " +
                     std::to_string(batcher_->batches_per_epoch()) + " batches per epoch" +
                     (pos_.step ? ", resuming at step " + std::to_string(pos_.step) : ""));
  TokenBatch batch;
  while (budget_left()) {
    if (!batcher_->next(batch)) {
      end_epoch();
      continue;
    }
    train_step(batch);
    if (o_.valid_every > 0 && pos_.step % o_.valid_every == 0) validate();
    if (o_.checkpoint_every > 0 && pos_.step % o_.checkpoint_every == 0) save_checkpoint();
    if (int sig = stop_signal.load()) {
      summary_.stop_signal = sig;
      break;
    }
  }
  progress_->finish();
  save_checkpoint();
  summary_.steps = pos_.step;
  summary_.epochs = pos_.epoch;
  if (std::isfinite(pos_.best_valid_loss))
    summary_.best_valid_perplexity = std::exp(pos_.best_valid_loss);
  return summary_;
}

}  // namespace

void request_training_stop(int signal) {
  stop_signal.store(signal);
}

TrainSummary train_language_model(const TrainOptions& options) {
  stop_signal.store(0);
  return TrainingRun(options, nullptr).run();
}

TrainSummary resume_training(const std::string& run_dir, const TrainOptions& budget) {
  stop_signal.store(0);
  const std::string state_path = run_dir + "/state.bin";
  if (!fs::exists(state_path)) throw Error(run_dir + " has no state.bin to resume from");
  SafetensorsFile f = read_safetensors(state_path);
  auto it = f.metadata.find("rnnkit.options");
  if (it == f.metadata.end()) throw Error(state_path + " lacks rnnkit.options");
  TrainOptions options = TrainOptions::from_json(it->second);
  options.out_dir = run_dir;
  if (budget.steps > 0 || budget.epochs > 0 || budget.time_limit > 0) {
    options.steps = budget.steps;
    options.epochs = budget.epochs;
    options.time_limit = budget.time_limit;
  }
  if (budget.threads > 0) options.threads = budget.threads;
  return TrainingRun(options, &f).run();
}

}  // namespace rnnkit
