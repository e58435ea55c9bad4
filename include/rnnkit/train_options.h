#pragma once
#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "rnnkit/error.h"
#include "rnnkit/option_table.h"

namespace rnnkit {

// The option groups every training command shares, each declared once (src/options/): a model
// family's options struct derives from the groups it uses and adds its own. A family that needs
// another default (a reproduced book configuration) sets it in its own struct's initialiser.

// The recurrent stack.
struct ModelShapeOptions {
  std::string cell = "lstm";
  int64_t layers = 2;
  int64_t hidden = 256;
  int64_t embedding = 128;  // 0 = one-hot input
  bool bidirectional = false;
  double dropout = 0.0;
  static const OptionTable<ModelShapeOptions>& table();
};

// The optimiser, its schedule and gradient clipping.
struct OptimizerOptions {
  std::string optimizer = "adam";  // sgd | adam | adamw
  double lr = 1e-3;
  double momentum = 0.0;
  double weight_decay = 0.0;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double clip = 0.0;  // max global gradient norm; 0 = no clipping
  std::string schedule = "fixed";
  bool skip_nonfinite = false;
  static const OptionTable<OptimizerOptions>& table();
};

// Whichever comes first; none given = 1 epoch.
struct BudgetOptions {
  int64_t epochs = 0;
  int64_t steps = 0;
  double time_limit = 0.0;  // seconds
  static const OptionTable<BudgetOptions>& table();
};

// The run directory and what goes into it.
struct RunOptions {
  std::string out_dir;
  int64_t batch = 32;
  int64_t log_every = 0;         // 0 = automatic
  int64_t valid_every = 0;       // steps; 0 = at each epoch end
  int64_t checkpoint_every = 0;  // steps; 0 = at each epoch end
  // Training minutes between checkpoints as well (0 = none): an epoch of a large corpus (hours)
  // is not lost whole to a kill or a power cut.
  double checkpoint_minutes = 10.0;
  int64_t sample_every = 0;  // steps; 0 = never (families that can sample)
  int64_t sample_length = 200;
  std::string dtype = "f32";  // model files: f32 | f16 | bf16
  uint64_t seed = 1;
  static const OptionTable<RunOptions>& table();
};

// How the arithmetic runs: shared with eval, generate, poem and serve.
struct RuntimeOptions {
  int threads = 0;  // 0 = rnnkit's adaptive choice
  // Matrix products in bfloat16 (see set_matmul_precision); part of a training run, so that a
  // resumed run continues in the precision it started in.
  bool bf16 = false;
  static const OptionTable<RuntimeOptions>& table();
};

// What the training engine itself reads.
struct EngineOptions : OptimizerOptions, BudgetOptions, RunOptions, RuntimeOptions {
  // The keys of the options the caller gave (the command line's flags, the Python package's
  // keywords), which the refusals of options that would do nothing or be overridden go by
  // (option_given); when absent, those away from their defaults count as given. Not an option:
  // never stored.
  std::optional<std::set<std::string>> given;
  static OptionTable<EngineOptions> table();
};

// Whether the caller gave the option `key` of a family's options: by `given` where the caller
// says, else by a value away from the default.
template <class Options>
bool option_given(const Options& o, const std::string& key) {
  if (o.given) return o.given->contains(key);
  static const Options defaults;
  for (const OptionSpec<Options>& s : Options::table())
    if (s.key == key)
      return std::visit([&](auto member) { return o.*member != defaults.*member; }, s.field);
  throw Error("option_given: no option \"" + key + "\"");
}

// The engine's options as a family's: without --sample-every and --sample-length where the
// family has no text to sample (they could only be refused).
template <class Family>
OptionTable<Family> engine_options_of(bool samples) {
  OptionTable<Family> t;
  for (OptionSpec<Family>& s : inherit_options<Family>(EngineOptions::table(), ""))
    if (samples || (s.key != "sample_every" && s.key != "sample_length")) t.push_back(s);
  return t;
}

// Whether a family's task samples text while it trains (--sample-every).
template <class Family>
constexpr bool samples_text() {
  if constexpr (requires { Family::kTextSamples; })
    return Family::kTextSamples;
  else
    return false;
}

// A model family's table: its own specs, then the shared model-shape and engine groups (with
// the sampling of text for a family that declares kTextSamples).
template <class Family>
OptionTable<Family> family_option_table(OptionTable<Family> own) {
  for (auto group : {inherit_options<Family>(ModelShapeOptions::table(), "Model"),
                     engine_options_of<Family>(samples_text<Family>())})
    own.insert(own.end(), group.begin(), group.end());
  return own;
}

// `rnnkit train`: a language model on text or Tang poems. Stored (as JSON) in the run's
// state.bin so that `--resume` continues with exactly the settings the run started with.
struct TrainOptions : EngineOptions, ModelShapeOptions {
  // Its task samples text (--sample-every); the other families' options lack the flags.
  static constexpr bool kTextSamples = true;
  // Data: a text file, or a directory of Tang-poem JSON files.
  std::string text_path;
  std::string poems_path;
  std::string valid_path;       // held-out text; otherwise the tail valid_fraction of the text
  double valid_fraction = 0.0;  // text: tail fraction; poems: fraction of poems (default 0.05)
  std::string level = "char";   // char | word
  bool lowercase = false;
  bool letters_only = false;
  int64_t min_count = 1;
  int64_t max_vocab = 0;
  bool eos_per_line = false;          // word level: <eos> at each line end (PTB style)
  int64_t max_tokens = 0;             // keep only the first N tokens (d2l's max_tokens)
  std::string script = "simplified";  // poems: simplified (OpenCC t2s) or traditional
  int64_t poem_form = 0;              // poems: 0 any, 5 or 7 regular poems only
  int64_t poem_max_length = 125;      // poems: sequence length including <START> and <EOP>
  bool packed = true;                 // poems: length-bucketed batches instead of padding to max

  // Model, beyond the shared shape.
  int64_t proj_size = 0;  // LSTM with projections: h is proj_size wide (0 = none)
  bool tie_weights = false;
  double init_range = 0.0;  // > 0: every parameter uniform(-a, a) instead of PyTorch's init
  std::string init_from;    // start from this checkpoint (its configuration and vocabulary)
  std::string pretrained_embeddings;  // GloVe / word2vec text file

  // Batching (batch is RunOptions').
  int64_t bptt = 35;
  std::string sampling = "sequential";  // sequential | random
  int64_t offset = 0;
  bool random_offset = false;  // sequential: a new random offset in [0, bptt) every epoch

  static const OptionTable<TrainOptions>& table();
  std::string to_json() const;
  static TrainOptions from_json(const std::string& json);
  void validate() const;  // Error naming the impossible option
};

}  // namespace rnnkit
