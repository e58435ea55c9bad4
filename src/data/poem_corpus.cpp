#include "rnnkit/poem_corpus.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <numeric>
#include <system_error>
#include <unordered_set>
#include <utility>

#include "io/strict_json.h"
#include "rnnkit/error.h"
#include "rnnkit/file_io.h"
#include "rnnkit/rng.h"
#include "rnnkit/script_converter.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

constexpr std::u32string_view kVersePunctuation = U"，。？！；：、";
constexpr std::u32string_view kLineEnds = U"，。？！；";
constexpr std::u32string_view kNoteNumerals = U"一二三四五六七八九十○〇0123456789";

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

std::vector<std::vector<std::string>> read_poem_file(const std::string& path) {
  nlohmann::json poems;
  try {
    poems = nlohmann::json::parse(read_file(path));
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(path + ": invalid JSON at byte " + std::to_string(e.byte) + ": " +
                json_error_reason(e));
  }
  if (!poems.is_array()) {
    throw Error(path + ": expected a JSON array of poems, found " + std::string(poems.type_name()));
  }
  std::vector<std::vector<std::string>> paragraphs_of_poems;
  paragraphs_of_poems.reserve(poems.size());
  for (size_t i = 0; i < poems.size(); ++i) {
    const nlohmann::json& poem = poems[i];
    const std::string where = path + ": poem " + std::to_string(i) + " (0-based)";
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

std::optional<std::u32string> clean_poem(const std::vector<std::string>& paragraphs) {
  std::string joined;
  for (const std::string& paragraph : paragraphs) joined += paragraph;
  std::u32string text = remove_notes(utf8::decode(joined, "poem"));
  text = replace_spans(text, U'〖', U'〗', [](std::u32string_view) { return std::u32string(); });
  text = replace_spans(text, U'[', U']', editor_bracket);
  if (!std::all_of(text.begin(), text.end(),
                   [](char32_t c) { return is_han(c) || is_verse_punctuation(c); })) {
    return std::nullopt;
  }
  std::u32string poem;
  poem.reserve(text.size());
  for (const char32_t c : text) {
    if (is_verse_punctuation(c) && (poem.empty() || is_verse_punctuation(poem.back()))) continue;
    poem += c;
  }
  if (poem.empty()) return std::nullopt;
  return poem;
}

bool has_regular_form(std::u32string_view poem, int form) {
  if (form <= 0) return false;
  int64_t lines = 0;
  size_t start = 0;
  while (start < poem.size()) {
    size_t end = poem.find_first_of(kLineEnds, start);
    if (end == std::u32string_view::npos) end = poem.size();
    const std::u32string_view line = poem.substr(start, end - start);
    if (line.size() != static_cast<size_t>(form) ||
        !std::all_of(line.begin(), line.end(), is_han)) {
      return false;
    }
    ++lines;
    start = end + 1;
  }
  return lines >= 2 && lines % 2 == 0;
}

PoemCorpus load_poem_corpus(const std::string& dir, const PoemPrepareOptions& options) {
  check_options(options);
  const std::vector<std::string> files = list_poem_files(dir);
  std::optional<ScriptConverter> to_simplified;
  if (options.script == "simplified") to_simplified = ScriptConverter::to_simplified();

  PoemCorpus corpus;
  PoemCounts& counts = corpus.counts;
  std::vector<std::u32string> poems;
  std::unordered_set<std::u32string> seen;
  for (const std::string& path : files) {
    for (const std::vector<std::string>& paragraphs : read_poem_file(path)) {
      ++counts.read;
      std::optional<std::u32string> poem = clean_poem(paragraphs);
      if (!poem) {
        ++counts.unusable;
        continue;
      }
      if (to_simplified) *poem = utf8::decode(to_simplified->convert(utf8::encode(*poem)));
      if (!seen.insert(*poem).second) {
        ++counts.duplicates;
      } else if (options.form != 0 && !has_regular_form(*poem, options.form)) {
        ++counts.wrong_form;
      } else if (options.max_length > 0 &&
                 static_cast<int64_t>(poem->size()) > options.max_length) {
        ++counts.too_long;
      } else {
        poems.push_back(std::move(*poem));
      }
    }
  }
  if (poems.empty()) {
    throw Error("no poem of " + dir + " is left after cleaning and filtering (" +
                std::to_string(counts.read) + " read)");
  }

  const size_t n = poems.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  Rng rng(options.split_seed);
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(i + 1)]);
  const auto valid_count =
      static_cast<size_t>(std::floor(static_cast<double>(n) * options.valid_fraction));
  std::vector<bool> is_valid(n, false);
  for (size_t k = n - valid_count; k < n; ++k) is_valid[order[k]] = true;
  corpus.train.reserve(n - valid_count);
  corpus.valid.reserve(valid_count);
  for (size_t i = 0; i < n; ++i) {
    (is_valid[i] ? corpus.valid : corpus.train).push_back(std::move(poems[i]));
  }
  return corpus;
}

}  // namespace rnnkit
