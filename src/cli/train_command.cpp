#include <csignal>
#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "rnnkit/trainer.h"

namespace rnnkit::cli {
namespace {

struct TrainArgs {
  TrainOptions options;
  std::string resume;
};

void on_signal(int signal) {
  request_training_stop(signal);
}

void run_train(const TrainArgs& args) {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  TrainSummary s = args.resume.empty() ? train_language_model(args.options)
                                       : resume_training(args.resume, args.options);
  const std::string dir = args.resume.empty() ? args.options.out_dir : args.resume;
  std::printf("steps %lld, epochs %lld", static_cast<long long>(s.steps),
              static_cast<long long>(s.epochs));
  if (s.last_epoch_perplexity > 0)
    std::printf(", last epoch training perplexity %.4f", s.last_epoch_perplexity);
  if (s.best_valid_perplexity > 0)
    std::printf(", best validation perplexity %.4f", s.best_valid_perplexity);
  if (s.skipped_batches)
    std::printf(", %lld non-finite batches skipped", static_cast<long long>(s.skipped_batches));
  std::printf("\nmodel: %s/last.safetensors%s\n", dir.c_str(),
              s.best_valid_perplexity > 0 ? (" (best: " + dir + "/best.safetensors)").c_str() : "");
  if (s.stop_signal) {
    std::printf("interrupted; resume with: rnnkit train --resume %s\n", dir.c_str());
    std::fflush(stdout);
    std::exit(128 + s.stop_signal);
  }
}

void setup_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  TrainOptions& o = args->options;
  // A later occurrence of an option overrides an earlier one, so scripts can append overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--text", o.text_path, "UTF-8 text file to train on")->group("Data");
  app.add_option("--poems", o.poems_path, "directory of Tang-poem JSON files (poet.tang.*.json)")
      ->group("Data");
  app.add_option("--valid", o.valid_path, "held-out text file for validation perplexity")
      ->group("Data");
  app.add_option("--valid-fraction", o.valid_fraction,
                 "held-out fraction: the tail of the text, or a fixed-seed share of the poems "
                 "(default 0.05)")
      ->group("Data");
  app.add_option("--level", o.level, "token level: char or word")
      ->capture_default_str()
      ->group("Data");
  app.add_flag("--lowercase", o.lowercase, "lowercase the text")->group("Data");
  app.add_flag("--letters-only", o.letters_only,
               "keep letters only, other runs become one space (d2l)")
      ->group("Data");
  app.add_option("--min-count", o.min_count, "word level: rarer words become <unk>")->group("Data");
  app.add_option("--max-vocab", o.max_vocab, "cap on the vocabulary size (0 = none)")
      ->group("Data");
  app.add_flag("--eos", o.eos_per_line, "word level: add <eos> at each line end (PTB style)")
      ->group("Data");
  app.add_option("--max-tokens", o.max_tokens, "use only the first N tokens (0 = all)")
      ->group("Data");
  app.add_option("--script", o.script, "poems: simplified or traditional")
      ->capture_default_str()
      ->group("Data");
  app.add_option("--form", o.poem_form, "poems: keep only regular 5- or 7-character poems")
      ->group("Data");
  app.add_option("--max-length", o.poem_max_length, "poems: sequence length with <START> and <EOP>")
      ->capture_default_str()
      ->group("Data");
  app.add_flag("!--padded", o.packed,
               "poems: pad every batch to --max-length instead of length buckets")
      ->group("Data");

  app.add_option("--cell", o.cell, "rnn_tanh, rnn_relu, lstm or gru")
      ->capture_default_str()
      ->group("Model");
  app.add_option("--layers", o.layers, "stacked recurrent layers")
      ->capture_default_str()
      ->group("Model");
  app.add_option("--hidden", o.hidden, "hidden units per layer")
      ->capture_default_str()
      ->group("Model");
  app.add_option("--proj-size", o.proj_size, "lstm: project h to this many units (0 = none)")
      ->capture_default_str()
      ->group("Model");
  app.add_option("--embedding", o.embedding, "embedding size (0 = one-hot input)")
      ->capture_default_str()
      ->group("Model");
  app.add_flag("--bidirectional", o.bidirectional, "bidirectional layers")->group("Model");
  app.add_option("--dropout", o.dropout, "dropout between layers")
      ->capture_default_str()
      ->group("Model");
  app.add_flag("--tie-weights", o.tie_weights, "share the output weights with the embedding")
      ->group("Model");
  app.add_option("--init-range", o.init_range,
                 "initialise every parameter uniform(-a, a) (default: PyTorch's init)")
      ->group("Model");
  app.add_option("--init-from", o.init_from,
                 "start from this checkpoint (its configuration and vocabulary)")
      ->group("Model");
  app.add_option("--pretrained-embeddings", o.pretrained_embeddings,
                 "GloVe/word2vec text file of vectors")
      ->group("Model");

  app.add_option("--batch", o.batch, "streams (text) or poems per batch")
      ->capture_default_str()
      ->group("Batches");
  app.add_option("--bptt", o.bptt, "time steps per batch (truncated BPTT)")
      ->capture_default_str()
      ->group("Batches");
  app.add_option("--sampling", o.sampling, "sequential (state carried) or random windows")
      ->capture_default_str()
      ->group("Batches");
  app.add_option("--offset", o.offset, "sequential: start offset in [0, bptt)")->group("Batches");
  app.add_flag("--random-offset", o.random_offset,
               "sequential: a new random offset every epoch (d2l)")
      ->group("Batches");

  app.add_option("--optimizer", o.optimizer, "sgd, adam or adamw")
      ->capture_default_str()
      ->group("Optimisation");
  app.add_option("--lr", o.lr, "learning rate")->capture_default_str()->group("Optimisation");
  app.add_option("--momentum", o.momentum, "SGD momentum")->group("Optimisation");
  app.add_option("--weight-decay", o.weight_decay, "weight decay (decoupled for adamw)")
      ->group("Optimisation");
  app.add_option("--beta1", o.beta1, "Adam beta1")->group("Optimisation");
  app.add_option("--beta2", o.beta2, "Adam beta2")->group("Optimisation");
  app.add_option("--eps", o.eps, "Adam epsilon")->group("Optimisation");
  app.add_option("--clip", o.clip, "clip the global gradient norm to this (0 = off)")
      ->group("Optimisation");
  app.add_option("--schedule", o.schedule,
                 "fixed | step:N:GAMMA | plateau[:DIVISOR] | cosine:WARMUP")
      ->capture_default_str()
      ->group("Optimisation");
  app.add_flag("--skip-nonfinite", o.skip_nonfinite,
               "skip batches with a NaN/Inf loss instead of stopping")
      ->group("Optimisation");

  app.add_option("--epochs", o.epochs, "epochs to train")->group("Budget");
  app.add_option("--steps", o.steps, "optimiser steps to train")->group("Budget");
  app.add_option("--time", o.time_limit, "seconds to train")->group("Budget");

  app.add_option("--out", o.out_dir, "run directory (checkpoints, metrics.jsonl)")->group("Output");
  app.add_option("--log-every", o.log_every, "steps between log lines (0 = automatic)")
      ->group("Output");
  app.add_option("--valid-every", o.valid_every, "steps between validations (0 = each epoch)")
      ->group("Output");
  app.add_option("--checkpoint-every", o.checkpoint_every,
                 "steps between checkpoints (0 = each epoch)")
      ->group("Output");
  app.add_option("--sample-every", o.sample_every, "steps between printed samples (0 = never)")
      ->group("Output");
  app.add_option("--sample-length", o.sample_length, "tokens per printed sample")->group("Output");
  app.add_option("--dtype", o.dtype, "checkpoint storage: f32, f16 or bf16")
      ->capture_default_str()
      ->group("Output");
  app.add_option("--seed", o.seed, "random seed")->capture_default_str()->group("Output");
  app.add_option("-t,--threads", o.threads, "threads (0 = all cores)")->group("Output");
  app.add_flag("--bf16", o.bf16,
               "bfloat16 matrix products, float32 weights, sums and optimiser (AVX512_BF16); kept "
               "for --resume; its effect on speed and accuracy is in docs/BENCHMARKS.md")
      ->group("Optimisation");
  app.add_option("--resume", args->resume,
                 "continue the run in this directory exactly where it stopped")
      ->group("Output");
  app.callback([args] { run_train(*args); });
}

const Registration registration({"train", "Train a language model on text or Tang poems",
                                 setup_train});

}  // namespace
}  // namespace rnnkit::cli
