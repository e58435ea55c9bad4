#pragma once
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "rnnkit/language_model_file.h"
#include "rnnkit/sampler.h"
#include "rnnkit/train_options.h"

namespace rnnkit::cli {

// The sampling flags shared by `generate` and `poem`; their defaults are SamplingOptions'.
struct SamplingFlags {
  SamplingOptions options;
  std::optional<uint64_t> seed;
};

// Adds --temp, --top-k, --top-p and --seed; returns them (for a flag they exclude).
std::vector<CLI::Option*> add_sampling_flags(CLI::App& app, SamplingFlags& flags);

// The options with their seed: the one given, or when sampling is random (temperature > 0) a
// random one, printed to stderr so that the run can be replayed with --seed.
SamplingOptions resolve_sampling(const SamplingFlags& flags);

// The flags that name a model and how it runs: --model, --vocab, --threads, --bf16.
struct ModelFlags {
  std::string model, vocab;
  RuntimeOptions runtime;
};

void add_model_flags(CLI::App& app, ModelFlags& flags);

// Applies --threads and --bf16 and loads the model; Error when it has no vocabulary and --vocab
// gives none.
LoadedLanguageModel load_model(const ModelFlags& flags);

}  // namespace rnnkit::cli
