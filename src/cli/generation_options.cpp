#include "cli/generation_options.h"

#include <cstdio>

#include "cli/option_flags.h"
#include "cli/text_inputs.h"
#include "rnnkit/error.h"
#include "rnnkit/gemm.h"

namespace rnnkit::cli {

std::vector<CLI::Option*> add_sampling_flags(CLI::App& app, SamplingFlags& flags) {
  SamplingOptions& o = flags.options;
  return {app.add_option("--temp", o.temperature, "sampling temperature (<= 0: greedy)")
              ->capture_default_str()
              ->group("Sampling"),
          app.add_option("--top-k", o.top_k, "sample among the K most likely tokens (0 = off)")
              ->capture_default_str()
              ->group("Sampling"),
          app.add_option("--top-p", o.top_p,
                         "nucleus sampling: the smallest set holding mass P (1 = off)")
              ->capture_default_str()
              ->group("Sampling"),
          app.add_option("--seed", flags.seed, "random seed (default: random, printed to stderr)")
              ->check(kDecimalUint64)
              ->group("Sampling")};
}

SamplingOptions resolve_sampling(const SamplingFlags& flags) {
  SamplingOptions options = flags.options;
  validate(options);
  if (flags.seed) {
    options.seed = *flags.seed;
  } else if (options.temperature > 0) {
    options.seed = random_seed();
    std::fprintf(stderr, "seed: %llu\n", static_cast<unsigned long long>(options.seed));
  }
  return options;
}

void add_model_flags(CLI::App& app, ModelFlags& flags) {
  app.add_option("-m,--model", flags.model,
                 "model file, or run directory (its best.safetensors, else last.safetensors)")
      ->required();
  app.add_option("--vocab", flags.vocab,
                 "vocabulary JSON file (when the model file has none; else the same tokens with "
                 "another normalisation or other specials)");
  add_option_table(app, flags.runtime, RuntimeOptions::table());
}

LoadedLanguageModel load_model(const ModelFlags& flags) {
  apply_runtime(flags.runtime);
  LoadedLanguageModel loaded = load_language_model(flags.model, flags.vocab);
  if (!loaded.vocab) throw Error(loaded.path + " holds no vocabulary; pass --vocab FILE");
  return loaded;
}

}  // namespace rnnkit::cli
