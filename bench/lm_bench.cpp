// End-to-end benchmark of rnnkit's language models: the C++ twin of
// ../shared/bench/pytorch_ref.py. Same configs, same random-id data, same warm-up and timed
// step counts, same step (forward + loss + backward, then clip + optimiser step + zero_grad),
// same analytic FLOP counts and the same JSON keys, one line per measurement on stdout, so that
// bench/compare.sh can put the two side by side.
//
//   rnnkit_lm_bench --config poetry [--threads 1] [--bf16 | --int8] [--profile]
//
// rnnkit computes the output layer, the loss and the output layer's backward in one fused pass
// over row chunks, so a training step reports fwd_bwd_ms (forward + backward) and opt_ms instead
// of PyTorch's separate fwd_ms and bwd_ms; --profile adds where the time of a step goes: a
// Markdown table and its figures as JSON lines ("bench": "lm_profile"), after the step's line.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "lm_profile.h"
#include "rnnkit/adam.h"
#include "rnnkit/clip_grad_norm.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"
#include "rnnkit/language_model.h"
#include "rnnkit/sampler.h"
#include "rnnkit/sgd.h"

namespace rnnkit::bench {
namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

struct BenchConfig {
  CellKind cell;
  int64_t vocab, emb, hidden, layers, batch, seq, warmup, steps;
};

// pytorch_ref.py's DEFAULTS.
const std::map<std::string, BenchConfig>& defaults() {
  static const std::map<std::string, BenchConfig> d = {
      {"poetry", {CellKind::Lstm, 8293, 128, 256, 2, 128, 124, 2, 5}},
      {"eval", {CellKind::Lstm, 8293, 128, 256, 2, 128, 124, 2, 8}},
      {"generate", {CellKind::Lstm, 8293, 128, 256, 2, 1, 1, 1, 5}},
      {"timemachine-rnn", {CellKind::RnnTanh, 28, 0, 256, 1, 32, 35, 30, 300}},
      {"timemachine-lstm", {CellKind::Lstm, 28, 0, 256, 1, 32, 35, 30, 300}},
      {"timemachine-gru", {CellKind::Gru, 28, 0, 256, 1, 32, 35, 30, 300}},
      {"ptb-medium", {CellKind::Lstm, 10000, 650, 650, 2, 20, 35, 3, 20}},
  };
  return d;
}

struct Args {
  std::string config = "poetry";
  int threads = 2;
  std::optional<int64_t> batch, seq, vocab, hidden, emb, layers, warmup, steps;
  std::optional<double> dropout;
  std::optional<float> clip;
  int64_t gen_tokens = 200;
  uint64_t seed = 0;
  double wait_idle = 0;
  bool bf16 = false;
  bool int8 = false;  // batch-1 products read int8 weights, as a model loaded from a quantized file
  bool profile = false;
};

// Analytic matmul FLOPs per token (forward, backward): pytorch_ref.py's flops_per_token.
std::pair<double, double> flops_per_token(const BenchConfig& c, bool train) {
  const double g = gate_count(c.cell), H = static_cast<double>(c.hidden),
               V = static_cast<double>(c.vocab);
  const bool onehot = c.emb == 0;
  double fwd = 0, bwd = 0;
  for (int64_t layer = 0; layer < c.layers; ++layer) {
    const double I = layer == 0 ? static_cast<double>(onehot ? c.vocab : c.emb) : H;
    fwd += 2 * g * H * (I + H);
    bwd += 2 * g * H * (I + H);
    bwd += 2 * g * H * H;
    if (!(layer == 0 && onehot)) bwd += 2 * g * H * I;
  }
  fwd += 2 * H * V;
  bwd += 4 * H * V;
  return {fwd, train ? bwd : 0.0};
}

double peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;
}

// (wall s, machine busy CPU-s from /proc/stat, this process's CPU-s), as pytorch_ref.py.
struct CpuSample {
  double wall, busy, self;
};

CpuSample cpu_sample() {
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream stat("/proc/stat");
  std::string cpu;
  stat >> cpu;
  double v[8] = {};
  for (double& x : v) stat >> x;
  double busy = 0;
  for (int i = 0; i < 8; ++i)
    if (i != 3 && i != 4) busy += v[i];
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  const double self = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                      1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  return {std::chrono::duration<double>(Clock::now().time_since_epoch()).count(), busy / hz, self};
}

// CPUs' worth of load from other processes between two samples, and this process's own.
std::pair<double, double> foreign_load(const CpuSample& a, const CpuSample& b) {
  const double wall = b.wall - a.wall;
  return {std::max(0.0, ((b.busy - a.busy) - (b.self - a.self)) / wall), (b.self - a.self) / wall};
}

// Waits (up to limit_s) until other processes use < 0.1 CPU over 1 s; (waited s, last load).
std::pair<double, double> wait_idle(double limit_s) {
  const auto t0 = Clock::now();
  while (true) {
    const CpuSample a = cpu_sample();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const double f = foreign_load(a, cpu_sample()).first;
    const double waited = std::chrono::duration<double>(Clock::now() - t0).count();
    if (f < 0.1 || waited > limit_s) return {waited, f};
  }
}

// CPU seconds used by this process (all its threads): on a shared machine, the work a step
// took apart from the time it waited for a core.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double round_to(double v, int digits) {
  const double s = std::pow(10.0, digits);
  return std::round(v * s) / s;
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  const size_t n = xs.size();
  return n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
}

LMConfig model_config(const BenchConfig& c, double dropout) {
  LMConfig m;
  m.cell = c.cell;
  m.vocab_size = c.vocab;
  m.embedding_dim = c.emb;
  m.hidden_size = c.hidden;
  m.num_layers = c.layers;
  m.dropout = static_cast<float>(dropout);
  return m;
}

// n_batches random batches of seq+1 rows of batch ids each (the last row only as targets).
std::vector<TokenBatch> random_batches(const BenchConfig& c, int n_batches, Rng& rng) {
  std::vector<TokenBatch> batches(n_batches);
  for (TokenBatch& b : batches) {
    std::vector<int32_t> ids((c.seq + 1) * c.batch);
    for (int32_t& id : ids) id = static_cast<int32_t>(rng.below(static_cast<uint64_t>(c.vocab)));
    b.steps = c.seq;
    b.batch = c.batch;
    b.inputs.assign(ids.begin(), ids.end() - c.batch);
    b.targets.assign(ids.begin() + c.batch, ids.end());
  }
  return batches;
}

struct Timings {
  std::vector<double> step, cpu, fwd_bwd, opt, run_mean;
  double loss_first = NAN, loss_last = NAN;
};

struct Trainer {
  std::unique_ptr<Optimizer> optimizer;
  float clip = 0;
  bool carry = false;
};

Trainer make_trainer(const std::string& name, LanguageModel& model) {
  if (name == "poetry")
    return {std::make_unique<Adam>(model.parameters(), AdamOptions{}), 0.0f, false};
  SGDOptions sgd;
  sgd.lr = 1.0;
  return {std::make_unique<SGD>(model.parameters(), sgd), name == "ptb-medium" ? 5.0f : 1.0f, true};
}

Timings run_train(const BenchConfig& c, LanguageModel& model, Trainer& trainer, Rng& rng) {
  const ParameterList params = model.parameters();
  const std::vector<TokenBatch> data = random_batches(c, 8, rng);
  LMState state;
  Timings r;
  // As the training engine: the optimizer step zeroes the grads for the next one.
  zero_grad(params);
  for (int64_t i = 0; i < c.warmup + c.steps; ++i) {
    const TokenBatch& batch = data[i % data.size()];
    const double cpu0 = process_cpu_seconds();
    const auto t0 = Clock::now();
    if (!trainer.carry) state.reset();
    const double loss = model.forward_backward(batch, state, true, true, &rng).mean();
    const auto t1 = Clock::now();
    trainer.optimizer->step_and_zero_grad(
        trainer.clip > 0 ? clip_coefficient(grad_norm(params), trainer.clip) : 1.0f);
    const auto t2 = Clock::now();
    if (i == 0) r.loss_first = loss;
    r.loss_last = loss;
    if (i >= c.warmup) {
      r.fwd_bwd.push_back(std::chrono::duration<double>(t1 - t0).count());
      r.opt.push_back(std::chrono::duration<double>(t2 - t1).count());
      r.step.push_back(std::chrono::duration<double>(t2 - t0).count());
      r.cpu.push_back(process_cpu_seconds() - cpu0);
    }
  }
  return r;
}

Timings run_eval(const BenchConfig& c, LanguageModel& model, Rng& rng) {
  const std::vector<TokenBatch> data = random_batches(c, 4, rng);
  Timings r;
  for (int64_t i = 0; i < c.warmup + c.steps; ++i) {
    LMState state;
    const double cpu0 = process_cpu_seconds();
    const auto t0 = Clock::now();
    const double loss =
        model.forward_backward(data[i % data.size()], state, false, false, nullptr).mean();
    const double dt = seconds_since(t0);
    if (i == 0) r.loss_first = loss;
    r.loss_last = loss;
    if (i >= c.warmup) {
      r.step.push_back(dt);
      r.cpu.push_back(process_cpu_seconds() - cpu0);
    }
  }
  return r;
}

// Batch 1, one token at a time from token id 1, the state carried, softmax sampling at
// temperature 1 (pytorch_ref.py: softmax + multinomial).
Timings run_generate(const BenchConfig& c, LanguageModel& model, int64_t gen_tokens,
                     uint64_t seed) {
  Rng sample_rng(seed);
  SamplingOptions sampling;
  sampling.temperature = 1.0f;
  Tensor logits;
  Timings r;
  for (int64_t run = 0; run < c.warmup + c.steps; ++run) {
    LMState state;
    int32_t token = 1;
    const auto run_start = Clock::now();
    for (int64_t k = 0; k < gen_tokens; ++k) {
      const double cpu0 = process_cpu_seconds();
      const auto t0 = Clock::now();
      model.step({&token, 1}, state, logits);
      token = sample_token(logits.span(), sampling, sample_rng);
      if (run >= c.warmup) {
        r.step.push_back(seconds_since(t0));
        r.cpu.push_back(process_cpu_seconds() - cpu0);
      }
    }
    if (run >= c.warmup)
      r.run_mean.push_back(seconds_since(run_start) / static_cast<double>(gen_tokens));
  }
  return r;
}

void run(const Args& args) {
  auto it = defaults().find(args.config);
  if (it == defaults().end()) throw Error("unknown config " + args.config);
  BenchConfig c = it->second;
  for (auto [value, field] : {std::pair{args.batch, &c.batch},
                              {args.seq, &c.seq},
                              {args.vocab, &c.vocab},
                              {args.hidden, &c.hidden},
                              {args.emb, &c.emb},
                              {args.layers, &c.layers},
                              {args.warmup, &c.warmup},
                              {args.steps, &c.steps}})
    if (value) *field = *value;
  const double dropout = args.dropout ? *args.dropout : (args.config == "ptb-medium" ? 0.5 : 0.0);
  if (args.threads > 0) set_num_threads(args.threads);
  if (args.bf16) set_matmul_precision(Precision::BF16);

  const double rss0 = peak_rss_mb();
  std::optional<std::pair<double, double>> waited;
  if (args.wait_idle > 0) waited = wait_idle(args.wait_idle);
  Rng rng(args.seed);
  LMConfig config = model_config(c, dropout);
  config.int8_weights = args.int8;
  LanguageModel model(config);
  model.reset_parameters(rng);

  const CpuSample s0 = cpu_sample();
  Timings r;
  bool train = false;
  int64_t tokens_per_step = c.seq * c.batch;
  Trainer trainer;
  if (args.config == "generate") {
    r = run_generate(c, model, args.gen_tokens, args.seed);
    tokens_per_step = 1;
  } else if (args.config == "eval") {
    r = run_eval(c, model, rng);
  } else {
    trainer = make_trainer(args.config, model);
    if (args.clip) trainer.clip = *args.clip;
    r = run_train(c, model, trainer, rng);
    train = true;
  }
  const auto [foreign, self_cpus] = foreign_load(s0, cpu_sample());

  std::vector<double> sorted = r.step;
  std::sort(sorted.begin(), sorted.end());
  const double med = median(r.step);
  double mean = 0;
  for (double t : r.step) mean += t;
  mean /= static_cast<double>(r.step.size());
  const auto [fwd_f, bwd_f] = flops_per_token(c, train);
  const double tps = static_cast<double>(tokens_per_step) / med;

  json out = {{"config", args.config},
              {"cell", cell_kind_name(c.cell)},
              {"vocab", c.vocab},
              {"emb", c.emb},
              {"hidden", c.hidden},
              {"layers", c.layers},
              {"batch", c.batch},
              {"seq", c.seq},
              {"dropout", dropout},
              {"tokens_per_step", tokens_per_step},
              {"warmup", c.warmup},
              {"timed", r.step.size()},
              {"tokens_per_s", round_to(tps, 1)},
              {"ms_per_step", round_to(med * 1e3, 4)},
              {"ms_min", round_to(sorted.front() * 1e3, 4)},
              {"ms_max", round_to(sorted.back() * 1e3, 4)},
              {"ms_mean", round_to(mean * 1e3, 4)},
              {"spread_pct", round_to(100 * (sorted.back() - sorted.front()) / med, 1)}};
  if (train) out["clip"] = round_to(trainer.clip, 6);
  if (!r.fwd_bwd.empty()) {
    out["fwd_bwd_ms"] = round_to(median(r.fwd_bwd) * 1e3, 4);
    out["opt_ms"] = round_to(median(r.opt) * 1e3, 4);
  }
  if (!r.run_mean.empty()) {
    out["ms_per_token_mean_of_runs"] = round_to(median(r.run_mean) * 1e3, 4);
    out["gen_tokens"] = args.gen_tokens;
  }
  out["mflop_per_token_fwd"] = round_to(fwd_f / 1e6, 4);
  out["mflop_per_token_total"] = round_to((fwd_f + bwd_f) / 1e6, 4);
  out["gflops"] = round_to((fwd_f + bwd_f) * tps / 1e9, 2);
  // CPU time per step and the GFLOP per CPU second it implies: the efficiency of the code apart
  // from waiting for a core (with 2 threads it includes OpenMP's spinning).
  const double cpu_med = median(r.cpu);
  out["cpu_ms_per_step"] = round_to(cpu_med * 1e3, 4);
  out["gflop_per_cpu_s"] =
      round_to((fwd_f + bwd_f) * static_cast<double>(tokens_per_step) / cpu_med / 1e9, 2);
  if (!std::isnan(r.loss_first)) {
    out["loss_first"] = round_to(r.loss_first, 6);
    out["loss_last"] = round_to(r.loss_last, 6);
  }
  out["peak_rss_mb"] = round_to(peak_rss_mb(), 1);
  out["rss_before_model_mb"] = round_to(rss0, 1);
  out["self_cpus"] = round_to(self_cpus, 2);
  out["foreign_cpus"] = round_to(foreign, 2);
  out["waited_idle"] =
      waited ? json::array({round_to(waited->first, 1), round_to(waited->second, 2)}) : json();
  out["impl"] = "rnnkit";
  out["threads"] = args.threads > 0 ? json(args.threads) : json("auto");
  out["threads_at_end"] = num_threads();
  out["precision"] = args.bf16 ? "bf16" : args.int8 ? "int8" : "f32";
  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  out["OMP_WAIT_POLICY"] = wait_policy ? json(wait_policy) : json();
  std::printf("%s\n", out.dump().c_str());
  std::fflush(stdout);

  if (args.profile) {
    if (!train) throw Error("--profile profiles a training step; use a training config");
    const TokenBatch batch = random_batches(c, 1, rng).front();
    const CpuSample p0 = cpu_sample();
    std::vector<ProfiledPart> parts =
        profile_training_step(model, batch, *trainer.optimizer, trainer.clip);
    const double profile_foreign = foreign_load(p0, cpu_sample()).first;
    std::printf("%s", profile_table(parts).c_str());
    // The table's raw figures, a line per part and one for the step, for bench/profile.sh.
    parts.push_back(profiled_step(parts));
    for (const ProfiledPart& p : parts) {
      json line = {
          {"bench", "lm_profile"},
          {"config", args.config},
          {"threads", out["threads"]},
          {"precision", out["precision"]},
          {"part", p.name},
          {"wall_ms", round_to(p.wall_ms, 3)},
          {"cpu_ms", round_to(p.cpu_ms, 3)},
          {"gflop", p.cost.gflop > 0 ? json(round_to(p.cost.gflop, 4)) : json()},
          {"gflops", p.cost.gflop > 0 ? json(round_to(1e3 * p.cost.gflop / p.wall_ms, 2)) : json()},
          {"gflop_per_cpu_s",
           p.cost.gflop > 0 ? json(round_to(1e3 * p.cost.gflop / p.cpu_ms, 2)) : json()},
          {"gbyte", round_to(p.cost.gbyte, 4)},
          {"gbytes_per_s", round_to(1e3 * p.cost.gbyte / p.wall_ms, 2)},
          {"foreign_cpus", round_to(profile_foreign, 2)}};
      std::printf("%s\n", line.dump().c_str());
    }
  }
}

}  // namespace
}  // namespace rnnkit::bench

int main(int argc, char** argv) {
  using rnnkit::bench::Args;
  Args args;
  CLI::App app{"rnnkit end-to-end language-model benchmark (the twin of pytorch_ref.py)"};
  app.add_option("--config", args.config,
                 "poetry | timemachine-rnn | timemachine-lstm | timemachine-gru | ptb-medium | "
                 "generate | eval")
      ->capture_default_str();
  app.add_option("--threads", args.threads,
                 "threads (OpenMP); 0: rnnkit's default, the cores other processes leave free")
      ->capture_default_str();
  app.add_option("--batch", args.batch);
  app.add_option("--seq", args.seq);
  app.add_option("--vocab", args.vocab);
  app.add_option("--hidden", args.hidden);
  app.add_option("--emb", args.emb);
  app.add_option("--layers", args.layers);
  app.add_option("--dropout", args.dropout, "default 0.5 for ptb-medium, else 0");
  app.add_option("--clip", args.clip,
                 "training: gradient clipping's max norm, 0 for none (default: 5 for ptb-medium, "
                 "1 for the Time Machine configs, none for poetry; a random model's norm is "
                 "about 0.1)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--warmup", args.warmup, "warm-up steps (generate: warm-up runs)");
  app.add_option("--steps", args.steps, "timed steps (generate: timed runs)");
  app.add_option("--gen-tokens", args.gen_tokens)->capture_default_str();
  app.add_option("--seed", args.seed)->capture_default_str();
  app.add_option("--wait-idle", args.wait_idle,
                 "first wait up to S seconds for other processes to go idle");
  app.add_flag("--bf16", args.bf16,
               "bf16 matrix products with f32 accumulation and f32 master weights");
  app.add_flag("--int8", args.int8,
               "int8 weights with per-row scales for the batch-1 products (rnnkit quantize)")
      ->excludes("--bf16");
  app.add_flag("--profile", args.profile, "also print where the time of one training step goes");
  CLI11_PARSE(app, argc, argv);
  try {
    rnnkit::bench::run(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rnnkit_lm_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
