#include "rnnkit/poem_corpus.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "data/quoted.h"
#include "io/strict_json.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/formatted.h"
#include "rnnkit/rng.h"
#include "rnnkit/script_converter.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

constexpr std::u32string_view kVersePunctuation = U"，。？！；：、";
constexpr std::u32string_view kLineEnds = U"，。？！；";
constexpr std::u32string_view kNoteNumerals = U"一二三四五六七八九十○〇0123456789";
constexpr std::u32string_view kAsciiVerseMarks = U",.?!;:";
constexpr std::u32string_view kFullWidthVerseMarks = U"，。？！；：";

bool is_note_numeral(char32_t c) {
  return kNoteNumerals.find(c) != std::u32string_view::npos;
}

// The N of "poet.tang.N.json", or nullopt for any other name.
std::optional<uint64_t> poem_file_number(std::string_view name) {
  constexpr std::string_view prefix = "poet.tang.", suffix = ".json";
  if (name.size() <= prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix)) {
    return std::nullopt;
  }
  const std::string_view digits =
      name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
  if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t n = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return n;
}

std::u32string remove_notes(std::u32string_view text) {
  std::u32string kept;
  kept.reserve(text.size());
  size_t note_start = 0;
  int depth = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char32_t c = text[i];
    if (depth == 0 && c != U'（') {
      kept += c;
    } else if (c == U'（') {
      if (depth++ == 0) note_start = i;
    } else if (c == U'）') {
      --depth;
    }
  }
  if (depth > 0) kept += text.substr(note_start);
  return kept;
}

// Removes every `open`…`close` span whose content `replace` maps to a replacement; a span it
// maps to nullopt, or an `open` without a `close` before the next `open`, stays as it is.
template <typename Replace>
std::u32string replace_spans(std::u32string_view text, char32_t open, char32_t close,
                             Replace replace) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = text.find(open, i);
    if (start == std::u32string_view::npos) break;
    const size_t end = text.find(close, start + 1);
    const size_t next_open = text.find(open, start + 1);
    out += text.substr(i, start - i);
    if (end == std::u32string_view::npos || next_open < end) {
      out += open;
      i = start + 1;
      continue;
    }
    const std::u32string_view content = text.substr(start + 1, end - start - 1);
    if (std::optional<std::u32string> replacement = replace(content)) {
      out += *replacement;
    } else {
      out += text.substr(start, end - start + 1);
    }
    i = end + 1;
  }
  if (i < text.size()) out += text.substr(i);
  return out;
}

std::optional<std::u32string> editor_bracket(std::u32string_view content) {
  if (content.empty()) return std::nullopt;
  if (std::all_of(content.begin(), content.end(), is_note_numeral)) return std::u32string();
  if (std::all_of(content.begin(), content.end(), is_han)) return std::u32string(content);
  return std::nullopt;
}

// How errors name a poem: "FILE: poem I (0-based)".
std::string poem_place(const std::string& path, size_t index) {
  return path + ": poem " + std::to_string(index) + " (0-based)";
}

std::vector<std::vector<std::string>> read_poem_file(const std::string& path) {
  nlohmann::json poems;
  try {
    poems = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " +
                json_error_reason(e));
  } catch (const nlohmann::json::exception& e) {  // a number beyond a double's range (1e400)
    throw Error(path + ": invalid JSON: " + json_error_reason(e));
  }
  if (!poems.is_array()) {
    throw Error(path + ": expected a JSON array of poems, found " + std::string(poems.type_name()));
  }
  std::vector<std::vector<std::string>> paragraphs_of_poems;
  paragraphs_of_poems.reserve(poems.size());
  for (size_t i = 0; i < poems.size(); ++i) {
    const nlohmann::json& poem = poems[i];
    const std::string where = poem_place(path, i);
    if (!poem.is_object()) {
      throw Error(where + " is " + std::string(poem.type_name()) + ", not an object");
    }
    const auto paragraphs = poem.find("paragraphs");
    if (paragraphs == poem.end() || !paragraphs->is_array()) {
      throw Error(where + " has no \"paragraphs\" array");
    }
    std::vector<std::string>& texts = paragraphs_of_poems.emplace_back();
    texts.reserve(paragraphs->size());
    for (const nlohmann::json& paragraph : *paragraphs) {
      if (!paragraph.is_string()) {
        throw Error(where + ": \"paragraphs\" holds " + std::string(paragraph.type_name()) +
                    ", not only strings");
      }
      texts.push_back(paragraph.get<std::string>());
    }
  }
  return paragraphs_of_poems;
}

std::string named_character(char32_t c) {
  return quote(utf8::encode(c)) + formatted(" (U+%04X)", static_cast<unsigned>(c));
}

bool is_kept_character(char32_t c) {
  return is_han(c) || is_verse_punctuation(c);
}

// Rule 6 of clean_poem: the marks after a run's first ended a removed note.
std::u32string collapse_mark_runs(std::u32string_view text) {
  std::u32string poem;
  poem.reserve(text.size());
  for (const char32_t c : text) {
    if (is_verse_punctuation(c) && (poem.empty() || is_verse_punctuation(poem.back()))) continue;
    poem += c;
  }
  return poem;
}

// clean_poem()'s result, with the reason it gives for a poem it drops.
struct CleanedPoem {
  std::optional<std::u32string> poem;
  std::string dropped_because;  // set when poem is nullopt: "holds "□" (U+25A1), ..."
};

CleanedPoem clean_poem_explained(const std::vector<std::string>& paragraphs) {
  std::string joined;
  for (const std::string& paragraph : paragraphs) joined += paragraph;
  std::u32string text = remove_notes(utf8::decode(joined, "poem"));
  text = replace_spans(text, U'〖', U'〗', [](std::u32string_view) { return std::u32string(); });
  text = replace_spans(text, U'[', U']', editor_bracket);
  std::transform(text.begin(), text.end(), text.begin(), full_width_verse_mark);
  if (const auto other = std::find_if_not(text.begin(), text.end(), is_kept_character);
      other != text.end()) {
    return {std::nullopt,
            "holds " + named_character(*other) + ", neither a Han character nor verse punctuation"};
  }
  std::u32string poem = collapse_mark_runs(text);
  if (poem.empty()) return {std::nullopt, "has no verse left once its notes are removed"};
  return {std::move(poem), {}};
}

// Why `poem` is not a regular poem of `form`-character lines (has_regular_form), or "" when it
// is one.
std::string irregularity(std::u32string_view poem, int form) {
  int64_t lines = 0;
  for (size_t start = 0; start < poem.size();) {
    const size_t end = std::min(poem.find_first_of(kLineEnds, start), poem.size());
    const std::u32string_view line = poem.substr(start, end - start);
    ++lines;
    // Described only when it fails: has_regular_form runs over every poem of the corpus.
    auto named = [&] {
      return "line " + std::to_string(lines) + " (" + quote(utf8::encode(std::u32string(line))) +
             ")";
    };
    if (line.size() != static_cast<size_t>(form))
      return named() + " has " + std::to_string(line.size()) + " characters";
    if (const auto other = std::find_if_not(line.begin(), line.end(), is_han); other != line.end())
      return named() + " holds " + named_character(*other) + ", not a Han character";
    start = end + 1;
  }
  if (lines < 2 || lines % 2 != 0)
    return "has " + std::to_string(lines) + " lines, not an even number of at least 2";
  return {};
}

void check_options(const PoemPrepareOptions& options) {
  if (options.script != "simplified" && options.script != "traditional") {
    throw Error("the poem script must be \"simplified\" or \"traditional\", not \"" +
                options.script + "\"");
  }
  if (options.form != 0 && options.form != 5 && options.form != 7) {
    throw Error("the poem form must be 0 (any), 5 or 7, not " + std::to_string(options.form));
  }
  if (!(options.valid_fraction >= 0.0 && options.valid_fraction < 1.0)) {
    throw Error("the validation fraction must lie in [0, 1), not " +
                std::to_string(options.valid_fraction));
  }
  if (options.max_length < 0) {
    throw Error("the maximum poem length must be 0 (no limit) or positive, not " +
                std::to_string(options.max_length));
  }
}

// The number of poems a split of `n` holds out at `fraction`.
size_t held_out_count(size_t n, double fraction) {
  return static_cast<size_t>(std::floor(static_cast<double>(n) * fraction));
}

// The smallest fraction of `n` >= 2 poems, rounded up to 3 significant digits, that holds one
// out: what to suggest for a fraction that holds none.
double smallest_holding_one(size_t n) {
  const double exact = 1.0 / static_cast<double>(n);
  const double scale = std::pow(10.0, 2.0 - std::floor(std::log10(exact)));
  // The tolerance keeps 1/50 = 0.02 from rounding up to 0.0201 on a last-bit error.
  double fraction = std::ceil(exact * scale - 1e-6) / scale;
  // One unit of the last digit kept is enough where the tolerance rounded below 1/n.
  if (held_out_count(n, fraction) < 1) fraction = (std::ceil(exact * scale - 1e-6) + 1) / scale;
  return fraction;
}

// A fraction asked for that holds no poem out would leave the run without its validation.
void check_held_out(size_t n, const PoemPrepareOptions& options, const std::string& dir) {
  if (!options.valid_fraction_asked || options.valid_fraction <= 0.0) return;
  if (held_out_count(n, options.valid_fraction) > 0) return;
  const std::string holds = "a validation fraction of " + formatted("%g", options.valid_fraction) +
                            " of the " + counted(static_cast<long long>(n), "poem", "poems") +
                            " of " + dir + " holds out none";
  if (n < 2) throw Error(holds + "; holding one out needs at least 2 poems");
  throw Error(holds + "; the smallest fraction that holds one out is " +
              formatted("%g", smallest_holding_one(n)));
}

// Where a poem was read: the file and the poem's index in it.
struct PoemPlace {
  const std::string* path;
  size_t index;
  std::string name() const { return poem_place(*path, index); }
};

// Cleans, converts and filters the poems one by one in load_poem_corpus's order, counting what
// each step drops and naming the first poem it drops, for the error when none is left.
class PoemFilter {
 public:
  explicit PoemFilter(const PoemPrepareOptions& options) : options_(options) {
    if (options.script == "simplified") to_simplified_ = ScriptConverter::to_simplified();
  }

  std::optional<std::u32string> keep(const std::vector<std::string>& paragraphs,
                                     const PoemPlace& place) {
    ++counts_.read;
    CleanedPoem cleaned = clean_poem_explained(paragraphs);
    if (!cleaned.poem) {
      drop(counts_.unusable, first_.unusable, place, cleaned.dropped_because);
      return std::nullopt;
    }
    std::u32string& poem = *cleaned.poem;
    if (to_simplified_) poem = utf8::decode(to_simplified_->convert(utf8::encode(poem)));
    if (const auto [earlier, first] = seen_.try_emplace(poem, place); !first) {
      drop(counts_.duplicates, first_.duplicate, place, "repeats " + earlier->second.name());
    } else if (options_.form != 0 && !has_regular_form(poem, options_.form)) {
      drop(counts_.wrong_form, first_.wrong_form, place, irregularity(poem, options_.form));
    } else if (options_.max_length > 0 && std::ssize(poem) > options_.max_length) {
      drop(counts_.too_long, first_.too_long, place,
           "has " + std::to_string(poem.size()) + " characters");
    } else {
      return std::move(poem);
    }
    return std::nullopt;
  }

  const PoemCounts& counts() const { return counts_; }

  Error nothing_left(const std::string& dir) const {
    std::string reasons;
    auto add = [&](int64_t count, const std::string& reason, const std::string& first) {
      if (count == 0) return;
      reasons += (reasons.empty() ? ": " : "; ") + std::to_string(count) + " " + reason +
                 ", the first " + first;
    };
    add(counts_.unusable, "unusable", first_.unusable);
    add(counts_.duplicates, counts_.duplicates == 1 ? "duplicate" : "duplicates", first_.duplicate);
    add(counts_.wrong_form,
        "not of the form of " + std::to_string(options_.form) + "-character lines",
        first_.wrong_form);
    add(counts_.too_long, "longer than " + std::to_string(options_.max_length) + " characters",
        first_.too_long);
    return Error("no poem of " + dir + " is left after cleaning and filtering (" +
                 std::to_string(counts_.read) + " read" + reasons + ")");
  }

 private:
  // The first poem dropped for each reason, described.
  struct FirstDrops {
    std::string unusable, duplicate, wrong_form, too_long;
  };

  static void drop(int64_t& count, std::string& first, const PoemPlace& place,
                   const std::string& why) {
    if (count++ == 0) first = place.name() + " " + why;
  }

  const PoemPrepareOptions& options_;
  std::optional<ScriptConverter> to_simplified_;
  std::unordered_map<std::u32string, PoemPlace> seen_;
  PoemCounts counts_;
  FirstDrops first_;
};

// The Fisher-Yates split of load_poem_corpus's contract.
void split_held_out(std::vector<std::u32string> poems, const PoemPrepareOptions& options,
                    PoemCorpus& corpus) {
  const size_t n = poems.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Rng rng(options.split_seed);
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  const size_t valid_count = held_out_count(n, options.valid_fraction);
  std::vector<bool> is_valid(n, false);
  for (size_t k = n - valid_count; k < n; ++k) is_valid[order[k]] = true;
  corpus.train.reserve(n - valid_count);
  corpus.valid.reserve(valid_count);
  for (size_t i = 0; i < n; ++i) {
    (is_valid[i] ? corpus.valid : corpus.train).push_back(std::move(poems[i]));
  }
}

}  // namespace

bool is_han(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x3FFFD);
}

bool is_verse_punctuation(char32_t c) {
  return kVersePunctuation.find(c) != std::u32string_view::npos;
}

std::vector<std::string> list_poem_files(const std::string& dir) {
  const std::string hint = " (tools/fetch_poems.sh downloads the Tang poems into data/tang)";
  std::vector<std::pair<uint64_t, std::string>> numbered;
  std::error_code error;
  std::filesystem::directory_iterator entries(dir, error);
  if (error) throw Error("cannot list the poem directory " + dir + ": " + error.message() + hint);
  for (const auto& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (const auto n = poem_file_number(name)) numbered.emplace_back(*n, entry.path().string());
  }
  if (numbered.empty()) throw Error("no poet.tang.N.json files in " + dir + hint);
  std::sort(numbered.begin(), numbered.end());
  std::vector<std::string> paths;
  paths.reserve(numbered.size());
  for (auto& [n, path] : numbered) paths.push_back(std::move(path));
  return paths;
}

char32_t full_width_verse_mark(char32_t c) {
  const size_t k = kAsciiVerseMarks.find(c);
  return k == std::u32string_view::npos ? c : kFullWidthVerseMarks[k];
}

std::optional<std::u32string> clean_poem(const std::vector<std::string>& paragraphs) {
  return clean_poem_explained(paragraphs).poem;
}

bool has_regular_form(std::u32string_view poem, int form) {
  return form > 0 && irregularity(poem, form).empty();
}

PoemCorpus load_poem_corpus(const std::string& dir, const PoemPrepareOptions& options) {
  check_options(options);
  const std::vector<std::string> files = list_poem_files(dir);
  PoemFilter filter(options);
  std::vector<std::u32string> poems;
  for (const std::string& path : files) {
    const std::vector<std::vector<std::string>> file_poems = read_poem_file(path);
    for (size_t i = 0; i < file_poems.size(); ++i) {
      if (auto poem = filter.keep(file_poems[i], PoemPlace{&path, i}))
        poems.push_back(std::move(*poem));
    }
  }
  if (poems.empty()) throw filter.nothing_left(dir);
  check_held_out(poems.size(), options, dir);
  PoemCorpus corpus;
  corpus.counts = filter.counts();
  split_held_out(std::move(poems), options, corpus);
  return corpus;
}

}  // namespace rnnkit
