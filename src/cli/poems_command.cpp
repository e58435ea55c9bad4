#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/command.h"
#include "cli/option_flags.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/poem_score.h"
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
  if (std::filesystem::exists(a.out) && !std::filesystem::is_directory(a.out))
    throw Error("--out " + a.out + " is a file; give a directory for train.txt and valid.txt");
  create_directories(a.out);
  write_file_atomically(a.out + "/train.txt", one_poem_per_line(corpus.train));
  write_file_atomically(a.out + "/valid.txt", one_poem_per_line(corpus.valid));
  const PoemCounts& c = corpus.counts;
  std::printf(
      "read %s: %lld unusable, %s, %lld of another form, %lld too long\n"
      "train %s -> %s/train.txt\nvalid %s -> %s/valid.txt\n",
      counted(c.read, "poem", "poems").c_str(), static_cast<long long>(c.unusable),
      counted(c.duplicates, "duplicate", "duplicates").c_str(),
      static_cast<long long>(c.wrong_form), static_cast<long long>(c.too_long),
      counted(std::ssize(corpus.train), "poem", "poems").c_str(), a.out.c_str(),
      counted(std::ssize(corpus.valid), "poem", "poems").c_str(), a.out.c_str());
}

struct ScoreArgs {
  std::string file, train, layout = "auto";
  bool json = false;
};

// "auto": blocks of lines (the output of `rnnkit poem`) when the text has a blank line or no
// line holds more than one couplet, else one poem per line (`poems prepare`'s train.txt).
bool poems_in_blocks(const std::string& text, const std::string& layout, const std::string& path) {
  if (layout != "auto") return layout == "blocks";
  if (text.find("\n\n") != std::string::npos || text.find("\n\r\n") != std::string::npos)
    return true;
  for (const std::u32string& line : split_poems(text, false, path)) {
    if (verse_lines(line).size() > 2) return false;
  }
  return true;
}

std::vector<std::u32string> read_poems(const std::string& path, const std::string& layout) {
  const std::string text = read_file(path);
  utf8::check_not_wide_encoding(text, path);
  check_line_ends(text, path);
  std::vector<std::u32string> poems = split_poems(text, poems_in_blocks(text, layout, path), path);
  if (poems.empty()) throw Error(path + " holds no poems");
  return poems;
}

nlohmann::json share_json(const PoemScores::Share& share) {
  return {{"rate", share.rate()}, {"hits", share.hits}, {"total", share.total}};
}

// A share of nothing (no even line to rhyme) has no rate: a dash, not 0.0%.
void print_share(const char* name, const PoemScores::Share& share, const char* of) {
  const std::string rate = share.total ? formatted("%6.1f%%", 100 * share.rate()) : "      -";
  std::printf("%-26s %s  (%lld of %lld %s)\n", name, rate.c_str(),
              static_cast<long long>(share.hits), static_cast<long long>(share.total), of);
}

void run_score(const ScoreArgs& a) {
  const std::vector<std::u32string> poems = read_poems(a.file, a.layout);
  std::optional<PoemCopyIndex> index;
  if (!a.train.empty()) index.emplace(read_poems(a.train, "lines"));
  const PoemScores s = score_poems(poems, RhymeTable::shipped(), index ? &*index : nullptr);
  const double mean_copy = static_cast<double>(s.longest_copy_sum) / static_cast<double>(s.poems);
  if (a.json) {
    nlohmann::json j = {{"poems", s.poems},
                        {"form", share_json(s.form)},
                        {"rhyme", share_json(s.rhyme)},
                        {"tones", share_json(s.tones)},
                        {"repeated_characters", share_json(s.repeated_characters)},
                        {"repeated_lines", share_json(s.repeated_lines)},
                        {"distinct_2", share_json(s.distinct_bigrams)}};
    if (s.copying) {
      j["copied_lines"] = share_json(s.copied_lines);
      j["longest_copy"] = {
          {"mean", mean_copy}, {"max", s.longest_copy}, {"poem", s.longest_copy_poem}};
    }
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%-26s %6lld\n", "poems", static_cast<long long>(s.poems));
  print_share("form", s.form, "poems");
  print_share("rhyming even lines", s.rhyme, "even lines");
  print_share("tonal template", s.tones, "bound characters");
  print_share("repeated characters", s.repeated_characters, "characters");
  print_share("repeated lines", s.repeated_lines, "lines");
  print_share("distinct-2", s.distinct_bigrams, "bigrams");
  if (s.copying) {
    print_share("lines copied verbatim", s.copied_lines, "lines");
    std::printf("%-26s %6.1f   (mean; max %d characters, poem %lld)\n", "longest copied text",
                mean_copy, s.longest_copy, static_cast<long long>(s.longest_copy_poem));
  }
}

void setup_poems(CLI::App& app) {
  auto a = std::make_shared<PrepareArgs>();
  auto* prepare =
      app.add_subcommand("prepare", "Clean, convert and split the Tang poems, one poem per line");
  prepare->add_option("--dir", a->dir, "directory of poet.tang.*.json files")->required();
  prepare->add_option("--out", a->out, "output directory for train.txt and valid.txt")->required();
  prepare->add_option("--script", a->options.script, "simplified or traditional")
      ->capture_default_str();
  prepare->add_option("--form", a->options.form,
                      "keep only regular 5- or 7-character poems (0, the default: any)");
  prepare->add_option("--valid-fraction", a->options.valid_fraction, "held-out share")
      ->capture_default_str();
  prepare->add_option("--split-seed", a->options.split_seed, "seed of the held-out split")
      ->capture_default_str()
      ->check(kDecimalUint64);
  prepare->callback([a] { run_prepare(*a); });

  auto b = std::make_shared<ScoreArgs>();
  auto* score = app.add_subcommand(
      "score", "Score poems: form, rhyme, tonal template, repetition, distinct-2, copying");
  score->add_option("file", b->file, "poems, one per line, or the output of `rnnkit poem`")
      ->required();
  score->add_option("--train", b->train,
                    "training poems (one per line): count the lines and text copied from them");
  score
      ->add_option("--layout", b->layout,
                   "auto, lines (one poem per line) or blocks (poems separated by blank lines)")
      ->check(CLI::IsMember({"auto", "lines", "blocks"}))
      ->capture_default_str();
  score->add_flag("--json", b->json, "print one JSON object");
  score->callback([b] { run_score(*b); });
  app.require_subcommand(1);
}

const Registration registration({"poems", "Prepare the Tang-poem corpus; score poems",
                                 setup_poems});

}  // namespace
}  // namespace rnnkit::cli
