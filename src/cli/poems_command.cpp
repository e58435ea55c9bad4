#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/command.h"
#include "rnnkit/file_io.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/utf8.h"

namespace rnnkit::cli {
namespace {

struct PrepareArgs {
  std::string dir, out;
  PoemPrepareOptions options;
};

std::string one_poem_per_line(const std::vector<std::u32string>& poems) {
  std::string text;
  for (const std::u32string& poem : poems) text += utf8::encode(poem) + "\n";
  return text;
}

void run_prepare(const PrepareArgs& a) {
  PoemCorpus corpus = load_poem_corpus(a.dir, a.options);
  std::filesystem::create_directories(a.out);
  write_file_atomically(a.out + "/train.txt", one_poem_per_line(corpus.train));
  write_file_atomically(a.out + "/valid.txt", one_poem_per_line(corpus.valid));
  const PoemCounts& c = corpus.counts;
  std::printf(
      "read %lld poems: %lld unusable, %lld duplicates, %lld of another form, %lld too long\n"
      "train %zu poems -> %s/train.txt\nvalid %zu poems -> %s/valid.txt\n",
      static_cast<long long>(c.read), static_cast<long long>(c.unusable),
      static_cast<long long>(c.duplicates), static_cast<long long>(c.wrong_form),
      static_cast<long long>(c.too_long), corpus.train.size(), a.out.c_str(), corpus.valid.size(),
      a.out.c_str());
}

void setup_poems(CLI::App& app) {
  auto a = std::make_shared<PrepareArgs>();
  auto* prepare =
      app.add_subcommand("prepare", "Clean, convert and split the Tang poems, one poem per line");
  prepare->add_option("--dir", a->dir, "directory of poet.tang.*.json files")->required();
  prepare->add_option("--out", a->out, "output directory for train.txt and valid.txt")->required();
  prepare->add_option("--script", a->options.script, "simplified or traditional")
      ->capture_default_str();
  prepare->add_option("--form", a->options.form, "keep only regular 5- or 7-character poems");
  prepare->add_option("--valid-fraction", a->options.valid_fraction, "held-out share")
      ->capture_default_str();
  prepare->add_option("--split-seed", a->options.split_seed, "seed of the held-out split")
      ->capture_default_str();
  prepare->callback([a] { run_prepare(*a); });
  app.require_subcommand(1);
}

const Registration registration({"poems", "Prepare the Tang-poem corpus", setup_poems});

}  // namespace
}  // namespace rnnkit::cli
