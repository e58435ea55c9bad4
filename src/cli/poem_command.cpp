#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "cli/command.h"
#include "cli/generation_options.h"
#include "rnnkit/error.h"
#include "rnnkit/poem_writer.h"

namespace rnnkit::cli {
namespace {

constexpr int kMaxCount = 1000;

struct PoemArgs {
  ModelFlags model;
  SamplingFlags sampling;
  PoemRequest request;
  int count = 1;
  bool interactive = false;
};

volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) {
  interrupted = 1;
}

// Streams `count` poems, poem k drawn with seed + k (so `--seed S+k --count 1` replays it alone),
// separated by blank lines; false when Ctrl-C cut them short.
bool print_poems(LanguageModel& model, const Vocab& vocab, PoemRequest request, uint64_t seed,
                 int count) {
  for (int k = 0; k < count; ++k) {
    if (k > 0) std::fputc('\n', stdout);
    request.sampling.seed = seed + static_cast<uint64_t>(k);
    const Poem poem = write_poem(model, vocab, request, [](std::string_view piece) {
      std::fwrite(piece.data(), 1, piece.size(), stdout);
      std::fflush(stdout);
      return interrupted == 0;
    });
    if (poem.cancelled) return false;
  }
  return true;
}

// Asks for start lines (or 藏头:...) until end of input or Ctrl-C. SIGINT is caught without
// SA_RESTART, so a read in progress fails and the loop ends cleanly.
void run_interactive(LanguageModel& model, const Vocab& vocab, const PoemRequest& base, int count) {
  struct sigaction action = {}, previous = {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous);
  uint64_t seed = base.sampling.seed;
  std::string line;
  while (interrupted == 0) {
    std::fputs("请输入您的开头：", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    if (line.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    PoemRequest request = base;
    try {
      // A line that is not even text (invalid UTF-8) is reported like any other bad line.
      parse_poem_input(line, request);
      if (!print_poems(model, vocab, request, seed, count)) break;
      seed += static_cast<uint64_t>(count);
    } catch (const Error& e) {
      std::fflush(stdout);
      std::fprintf(stderr, "error: %s\n", e.what());
    }
  }
  std::fputc('\n', stdout);
  std::fflush(stdout);
  sigaction(SIGINT, &previous, nullptr);
}

void run_poem(PoemArgs& a) {
  if (a.count < 1 || a.count > kMaxCount)
    throw Error("--count must be 1.." + std::to_string(kMaxCount) + ", got " +
                std::to_string(a.count));
  if (!a.interactive && a.request.start.empty() && a.request.acrostic.empty())
    throw Error("give --start LINE, --acrostic HEADS or -i (interactive)");
  LoadedLanguageModel loaded = load_model(a.model);
  a.request.sampling = resolve_sampling(a.sampling);
  if (a.interactive) {
    run_interactive(*loaded.model, *loaded.vocab, a.request, a.count);
  } else {
    print_poems(*loaded.model, *loaded.vocab, a.request, a.request.sampling.seed, a.count);
  }
}

void setup_poem(CLI::App& app) {
  auto a = std::make_shared<PoemArgs>();
  PoemRequest& r = a->request;
  add_model_flags(app, a->model);
  auto* start =
      app.add_option("-s,--start", r.start,
                     "first line to continue (5 or 7 characters, or fewer with --form), or "
                     "lines separated by ，");
  auto* acrostic = app.add_option("-a,--acrostic", r.acrostic,
                                  "acrostic: each line starts with the next of these characters")
                       ->excludes(start);
  app.add_option("-f,--form", r.form,
                 "characters per line, 5 or 7 (0, the default: the start line's length; 5 for an "
                 "acrostic)");
  app.add_option("-l,--lines", r.lines,
                 "lines, at most 16 (0, the default: 4, or the acrostic's length)");
  app.add_flag("--rhyme", r.rhyme,
               "lines 2, 4, ... end on one rhyme (rhyme group and tone of models/tang_rhymes.tsv)");
  app.add_flag("--tones", r.tones,
               "follow the tonal template of regulated verse (平起 or 仄起, set by line 1)");
  app.add_option("--style", r.style,
                 "text read before the poem to set its mood; it is not printed");
  app.add_option("-c,--count", a->count, "poems to write (poem k uses seed + k)")
      ->capture_default_str();
  app.add_flag("-i,--interactive", a->interactive,
               "ask for start lines (or 藏头:春夏秋冬) until end of input")
      ->excludes(start)
      ->excludes(acrostic);
  add_sampling_flags(app, a->sampling);
  app.callback([a] { run_poem(*a); });
}

const Registration registration({"poem", "Write Tang poems: continue a first line, or an acrostic",
                                 setup_poem});

}  // namespace
}  // namespace rnnkit::cli
