#include <cstdio>
#include <memory>

#include "cli/command.h"
#include "cli/generation_options.h"
#include "cli/option_flags.h"
#include "rnnkit/error.h"
#include "rnnkit/formatted.h"
#include "rnnkit/text_corpus.h"
#include "rnnkit/text_generator.h"

namespace rnnkit::cli {
namespace {

struct GenerateArgs {
  ModelFlags model;
  SamplingFlags sampling;
  std::string prompt, prompt_file;
  int64_t tokens = GenerateRequest{}.max_tokens;
  int beam = 0;
  bool no_echo = false, ignore_eos = false;
};

void run_generate(const GenerateArgs& a) {
  LoadedLanguageModel loaded = load_model(a.model);
  if (a.ignore_eos && !loaded.vocab->eos_id())
    throw Error("--ignore-eos: the model's vocabulary has no end token to ignore");
  GenerateRequest request;
  request.prompt = a.prompt_file.empty() ? a.prompt : read_text_file(a.prompt_file);
  request.max_tokens = a.tokens;
  request.beam_width = a.beam;
  request.stop_at_eos = !a.ignore_eos;
  request.echo = !a.no_echo;
  // Beam search draws nothing (--beam excludes the sampling flags).
  if (a.beam == 0) request.sampling = resolve_sampling(a.sampling);

  bool line_open = false;
  const auto print = [&](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    line_open = !piece.empty() && piece.back() != '\n';
    return true;
  };
  GenerateResult result;
  try {
    result = generate_text(*loaded.model, *loaded.vocab, request, print);
  } catch (const OutOfVocabularyError& e) {
    if (a.prompt_file.empty()) throw;
    throw_at_line_of_unknown(e, request.prompt, *loaded.vocab, a.prompt_file);
  }
  if (line_open) std::fputc('\n', stdout);
  std::fflush(stdout);
  std::fprintf(stderr, "generated %s in %.3f s (%.1f tokens/s), stopped at %s\n",
               counted(result.tokens, "token", "tokens").c_str(), result.seconds,
               result.seconds > 0 ? static_cast<double>(result.tokens) / result.seconds : 0.0,
               std::string(finish_reason_name(result.finish_reason)).c_str());
}

void setup_generate(CLI::App& app) {
  auto a = std::make_shared<GenerateArgs>();
  add_model_flags(app, a->model);
  auto* prompt = app.add_option("-p,--prompt", a->prompt, "text to continue (default: empty)");
  app.add_option("--prompt-file", a->prompt_file, "read the prompt from this UTF-8 file")
      ->excludes(prompt);
  app.add_option("-n,--n-predict", a->tokens,
                 "tokens to generate (-1: until the end token, at most 100000)")
      ->capture_default_str()
      ->check(kInt64InRange);
  const std::vector<CLI::Option*> sampling = add_sampling_flags(app, a->sampling);
  CLI::Option* beam = app.add_option(
      "--beam", a->beam,
      "beam search of this width for the most likely continuation (1 = greedy); it draws "
      "nothing, so takes no sampling flag");
  beam->group("Sampling");
  for (CLI::Option* flag : sampling) beam->excludes(flag);
  app.add_flag("--no-echo", a->no_echo, "print only the continuation, not the prompt");
  app.add_flag("--ignore-eos", a->ignore_eos,
               "do not stop at the end token; print it as a newline");
  app.callback([a] { run_generate(*a); });
}

const Registration registration({"generate", "Continue a prompt with a language model",
                                 setup_generate});

}  // namespace
}  // namespace rnnkit::cli
