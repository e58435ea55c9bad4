#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli/command.h"
#include "cli/generation_options.h"
#include "rnnkit/error.h"
#include "rnnkit/evaluate.h"
#include "rnnkit/gemm.h"
#include "rnnkit/language_model_file.h"
#include "rnnkit/poem_file.h"
#include "rnnkit/text_corpus.h"

namespace rnnkit::cli {
namespace {

struct EvalArgs {
  ModelFlags model;
  std::string text, poems;
  bool json = false;
  std::optional<int64_t> window;
};

void run_eval(const EvalArgs& a) {
  if (a.text.empty() == a.poems.empty())
    throw Error("give exactly one of --text FILE or --poems FILE");
  if (a.window && a.text.empty()) throw Error("--window applies to --text only");
  if (a.window && *a.window < 1)
    throw Error("--window must be a positive number of tokens, got " + std::to_string(*a.window));
  LoadedLanguageModel loaded = load_model(a.model);
  Perplexity p;
  if (!a.text.empty()) {
    std::vector<int32_t> ids = encode_text_file(a.text, *loaded.vocab);
    p = a.window ? evaluate_windows(*loaded.model, ids, *a.window)
                 : evaluate_stream(*loaded.model, ids);
  } else {
    p = evaluate_sequences(*loaded.model, encode_poem_file(a.poems, *loaded.vocab),
                           *loaded.vocab->pad_id());
  }
  const double perplexity = reported_perplexity(p);
  if (a.json) {
    nlohmann::json j = {{"perplexity", perplexity},
                        {"cross_entropy", p.cross_entropy},
                        {"bits_per_token", p.bits_per_token()},
                        {"tokens", p.tokens}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf(
        "perplexity     %.4f\ncross-entropy  %.4f nats/token (%.4f bits/token)\ntokens         "
        "%lld\n",
        perplexity, p.cross_entropy, p.bits_per_token(), static_cast<long long>(p.tokens));
  }
}

void setup_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  add_model_flags(app, a->model);
  app.add_option("--text", a->text,
                 "text file: perplexity of the whole file read as one sequence from a zero state "
                 "(a bidirectional model's reverse direction starts at the end of the file)");
  app.add_option("--window", a->window,
                 "with --text: cut the file into windows of N predictions, each read on its own "
                 "from a zero state in every direction");
  app.add_option("--poems", a->poems, "poem file, one poem per line, each from a zero state");
  app.add_flag("--json", a->json,
               "print one JSON object {perplexity, cross_entropy, bits_per_token, tokens}");
  app.callback([a] { run_eval(*a); });
}

const Registration registration({"eval", "Perplexity of a model on a text or poem file",
                                 setup_eval});

}  // namespace
}  // namespace rnnkit::cli
