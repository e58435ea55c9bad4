// The declarations of the shared option groups and of `rnnkit train`'s own options.
#include "rnnkit/train_options.h"

#include "rnnkit/error.h"
#include "rnnkit/rnn.h"
#include "rnnkit/threads.h"

namespace rnnkit {
namespace {

const OptionCheck kPositive = above(0);
const OptionCheck kNonNegative = at_least(0);
const OptionCheck kAtLeastOne = at_least(1);
// The clipping norm is used as a float: a larger double became infinity there, an error at step
// 1 after the run directory was made. (A learning rate that large fails as a non-finite loss.)
const OptionCheck kNonNegativeFloat = between(0, std::numeric_limits<float>::max());

// Concatenates tables of the groups a struct derives from.
template <class T>
void append(OptionTable<T>& to, const OptionTable<T>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

const OptionTable<ModelShapeOptions>& ModelShapeOptions::table() {
  using O = ModelShapeOptions;
  static const OptionTable<O> t = {
      {"--cell", "cell", &O::cell, "rnn_tanh, rnn_relu, lstm or gru",
       one_of({"rnn_tanh", "rnn_relu", "lstm", "gru"})},
      {"--layers", "layers", &O::layers, "stacked recurrent layers", between(1, kMaxLayers)},
      {"--hidden", "hidden", &O::hidden, "hidden units per layer (and direction)",
       between(1, 1 << 20)},
      {"--embedding", "embedding", &O::embedding, "embedding size (0 = one-hot input)",
       between(0, 1 << 20)},
      {"--bidirectional", "bidirectional", &O::bidirectional, "bidirectional layers"},
      {"--dropout", "dropout", &O::dropout, "dropout between stacked layers", from_below(0, 1)},
  };
  return t;
}

const OptionTable<OptimizerOptions>& OptimizerOptions::table() {
  using O = OptimizerOptions;
  static const OptionTable<O> t = {
      {"--optimizer", "optimizer", &O::optimizer, "sgd, adam or adamw",
       one_of({"sgd", "adam", "adamw"})},
      {"--lr", "lr", &O::lr, "learning rate", kPositive},
      {"--momentum", "momentum", &O::momentum, "SGD momentum", between(0, 1)},
      {"--weight-decay", "weight_decay", &O::weight_decay, "weight decay (decoupled for adamw)",
       kNonNegative},
      {"--beta1", "beta1", &O::beta1, "Adam beta1", between(0, 1)},
      {"--beta2", "beta2", &O::beta2, "Adam beta2", between(0, 1)},
      {"--eps", "eps", &O::eps, "Adam epsilon", kPositive},
      {"--clip", "clip", &O::clip, "clip the global gradient norm to this (0 = off)",
       kNonNegativeFloat},
      {"--schedule", "schedule", &O::schedule,
       "fixed | step:STEP_SIZE[:GAMMA] | plateau[:DIVISOR[:PATIENCE[:MIN_LR]]] | "
       "cosine[:WARMUP[:MIN_LR]]"},
      {"--skip-nonfinite", "skip_nonfinite", &O::skip_nonfinite,
       "skip batches with a NaN/Inf loss instead of stopping"},
  };
  return t;
}

const OptionTable<BudgetOptions>& BudgetOptions::table() {
  using O = BudgetOptions;
  static const OptionTable<O> t = {
      {"--epochs", "epochs", &O::epochs, "epochs to train (in all, when resuming)", kNonNegative},
      {"--steps", "steps", &O::steps, "optimiser steps to train (in all, when resuming)",
       kNonNegative},
      {"--time", "time_limit", &O::time_limit, "seconds to train (in all, when resuming)",
       kNonNegative},
  };
  return t;
}

const OptionTable<RunOptions>& RunOptions::table() {
  using O = RunOptions;
  static const OptionTable<O> t = {
      {"--out", "out_dir", &O::out_dir, "run directory (checkpoints, state.bin, metrics.jsonl)"},
      {"--batch", "batch", &O::batch, "examples per batch (text: parallel streams)",
       between(1, 1 << 24)},
      {"--log-every", "log_every", &O::log_every, "steps between log lines (0 = automatic)",
       kNonNegative},
      {"--valid-every", "valid_every", &O::valid_every,
       "steps between validations (0 = each epoch)", kNonNegative},
      {"--checkpoint-every", "checkpoint_every", &O::checkpoint_every,
       "steps between checkpoints (0 = each epoch)", kNonNegative},
      {"--checkpoint-minutes", "checkpoint_minutes", &O::checkpoint_minutes,
       "minutes of training between checkpoints as well (0 = none)", between(0, 1e9)},
      {"--sample-every", "sample_every", &O::sample_every,
       "steps between printed samples of the model (0 = never)", kNonNegative},
      {"--sample-length", "sample_length", &O::sample_length, "tokens per printed sample",
       kAtLeastOne},
      {"--dtype", "dtype", &O::dtype, "model files: f32, f16 or bf16",
       one_of({"f32", "f16", "bf16"})},
      {"--seed", "seed", &O::seed, "seed of initialisation, shuffling and dropout"},
  };
  return t;
}

const OptionTable<RuntimeOptions>& RuntimeOptions::table() {
  using O = RuntimeOptions;
  static const OptionTable<O> t = {
      {"--threads", "threads", &O::threads, "threads (0 = rnnkit's adaptive choice)",
       between(0, kMaxThreads), "", "-t"},
      {"--bf16", "bf16", &O::bf16,
       "bfloat16 matrix products, float32 sums (AVX512_BF16); training keeps float32 weights and "
       "optimiser state, generation reads bfloat16 weight copies (docs/BENCHMARKS.md)"},
  };
  return t;
}

OptionTable<EngineOptions> EngineOptions::table() {
  OptionTable<EngineOptions> t;
  append(t, inherit_options<EngineOptions>(OptimizerOptions::table(), "Optimisation"));
  append(t, inherit_options<EngineOptions>(BudgetOptions::table(), "Budget"));
  append(t, inherit_options<EngineOptions>(RunOptions::table(), "Run"));
  append(t, inherit_options<EngineOptions>(RuntimeOptions::table(), "Run"));
  return t;
}

const OptionTable<TrainOptions>& TrainOptions::table() {
  using O = TrainOptions;
  static const OptionTable<O> t = family_option_table<O>({
      {"--text", "text_path", &O::text_path, "UTF-8 text file to train on", {}, "Data"},
      {"--poems",
       "poems_path",
       &O::poems_path,
       "directory of Tang-poem JSON files (poet.tang.*.json)",
       {},
       "Data"},
      {"--valid",
       "valid_path",
       &O::valid_path,
       "held-out text file for validation perplexity",
       {},
       "Data"},
      {"--valid-fraction", "valid_fraction", &O::valid_fraction,
       "held-out fraction: the tail of the text (0: none), or a fixed-seed share of the poems "
       "(0: 0.05)",
       between(0, 0.99), "Data"},
      {"--level", "level", &O::level, "token level: char or word", one_of({"char", "word"}),
       "Data"},
      {"--lowercase",
       "lowercase",
       &O::lowercase,
       "lowercase the text (as Python's str.lower())",
       {},
       "Data"},
      {"--letters-only",
       "letters_only",
       &O::letters_only,
       "keep the ASCII letters A-Z, a-z only; other runs become one space (d2l's)",
       {},
       "Data"},
      {"--min-count", "min_count", &O::min_count, "word level: rarer words become <unk>",
       kAtLeastOne, "Data"},
      {"--max-vocab", "max_vocab", &O::max_vocab, "cap on the vocabulary size (0 = none)",
       kNonNegative, "Data"},
      {"--eos",
       "eos_per_line",
       &O::eos_per_line,
       "word level: add <eos> at each line end (PTB style)",
       {},
       "Data"},
      {"--max-tokens", "max_tokens", &O::max_tokens, "use only the first N tokens (0 = all)",
       kNonNegative, "Data"},
      {"--script", "script", &O::script, "poems: simplified or traditional",
       one_of({"simplified", "traditional"}), "Data"},
      {"--form", "poem_form", &O::poem_form,
       "poems: keep only regular 5- or 7-character poems (0: any)", between(0, 7), "Data"},
      {"--max-length", "poem_max_length", &O::poem_max_length,
       "poems: sequence length with <START> and <EOP>", between(3, 1 << 20), "Data"},
      {"--padded",
       "packed",
       &O::packed,
       "poems: pad every batch to --max-length instead of length buckets",
       {},
       "Data",
       "",
       true},
      {"--proj-size", "proj_size", &O::proj_size, "lstm: project h to this many units (0 = none)",
       kNonNegative, "Model"},
      {"--tie-weights",
       "tie_weights",
       &O::tie_weights,
       "share the output weights with the embedding",
       {},
       "Model"},
      {"--init-range", "init_range", &O::init_range,
       "initialise every parameter uniform(-a, a) (0: PyTorch's init)", kNonNegative, "Model"},
      {"--init-from",
       "init_from",
       &O::init_from,
       "start from this checkpoint: its configuration, vocabulary and dropout (the options that "
       "would set them are refused)",
       {},
       "Model"},
      {"--pretrained-embeddings",
       "pretrained_embeddings",
       &O::pretrained_embeddings,
       "GloVe/word2vec text file of vectors",
       {},
       "Model"},
      {"--bptt", "bptt", &O::bptt, "time steps per batch (truncated BPTT)", between(1, 1 << 24),
       "Batches"},
      {"--sampling", "sampling", &O::sampling, "sequential (state carried) or random windows",
       one_of({"sequential", "random"}), "Batches"},
      {"--offset", "offset", &O::offset, "sequential: start offset in [0, bptt)", kNonNegative,
       "Batches"},
      {"--random-offset",
       "random_offset",
       &O::random_offset,
       "sequential: a new random offset every epoch (d2l)",
       {},
       "Batches"},
  });
  return t;
}

std::string TrainOptions::to_json() const {
  return options_to_json(*this, table()).dump();
}

TrainOptions TrainOptions::from_json(const std::string& text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error("the stored training options are not JSON");
  TrainOptions o;
  options_from_json(o, table(), j, "the stored training options");
  return o;
}

void TrainOptions::validate() const {
  validate_options(*this, table());
  require_utf8_strings(*this, table());
  if (text_path.empty() == poems_path.empty())
    throw Error("give exactly one of --text FILE or --poems DIR");
  if (poem_form != 0 && poem_form != 5 && poem_form != 7) throw Error("--form must be 5 or 7");
  if (offset >= bptt) throw Error("--offset must be in [0, bptt)");
  if (proj_size >= hidden) throw Error("--proj-size must be in [0, --hidden) (0 = none)");
  if (out_dir.empty()) throw Error("--out RUN_DIR is required");
}

}  // namespace rnnkit
