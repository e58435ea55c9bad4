#include "rnnkit/poem_score.h"

#include <algorithm>
#include <set>
#include <unordered_set>

#include "generate/poem_constraints.h"
#include "rnnkit/poem_corpus.h"
#include "rnnkit/tonal_pattern.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

bool is_regular(const std::vector<VerseLine>& lines) {
  if (lines.empty() || lines.size() % 2 != 0) return false;
  const size_t form = lines[0].text.size();
  if (form != 5 && form != 7) return false;
  for (size_t k = 0; k < lines.size(); ++k) {
    const VerseLine& line = lines[k];
    if (line.text.size() != form || !std::all_of(line.text.begin(), line.text.end(), is_han))
      return false;
    const std::u32string_view marks = k % 2 == 0 ? U"，；" : U"。！？";
    if (line.mark == 0 || marks.find(line.mark) == std::u32string_view::npos) return false;
  }
  return true;
}

// The rhyme table's entry for each character of each line (nullptr where it has none).
using LineSounds = std::vector<std::vector<const CharacterSound*>>;

// A poem is read in traditional script, each character by its simplified form as the writer
// reads a traditional model's vocabulary, when that form finds a character that the table lacks
// as written (風 as 风). A simplified poem is read as written, as the writer reads a simplified
// model's: a character that simplified text keeps but that simplifies on its own (乾坤's 乾,
// 於) keeps its own sound.
LineSounds find_line_sounds(const std::vector<VerseLine>& lines, const RhymeTable& table) {
  std::u32string text;
  for (const VerseLine& line : lines) text += line.text;
  std::vector<const CharacterSound*> sounds = find_sounds(table, text, false);
  // The conversion (OpenCC) only for a poem with a character the table lacks as written.
  if (std::find(sounds.begin(), sounds.end(), nullptr) != sounds.end()) {
    std::vector<const CharacterSound*> simplified = find_sounds(table, text, true);
    for (size_t i = 0; i < text.size(); ++i) {
      if (!sounds[i] && simplified[i]) {
        sounds = std::move(simplified);
        break;
      }
    }
  }
  LineSounds per_line;
  auto next = sounds.begin();
  for (const VerseLine& line : lines) {
    per_line.emplace_back(next, next + static_cast<ptrdiff_t>(line.text.size()));
    next += static_cast<ptrdiff_t>(line.text.size());
  }
  return per_line;
}

void score_rhyme(const LineSounds& sounds, PoemScores::Share& rhyme) {
  std::vector<int> groups;  // per even line: the level rhyme group of its end, or -1
  for (size_t k = 1; k < sounds.size(); k += 2) {
    const CharacterSound* sound = sounds[k].empty() ? nullptr : sounds[k].back();
    groups.push_back(sound && sound->rhyme_tone == kLevelTone ? sound->group : -1);
  }
  int poem_group = -1;
  long most = 0;
  for (int group : groups) {
    const long count = std::count(groups.begin(), groups.end(), group);
    if (group >= 0 && count > most) poem_group = group, most = count;
  }
  rhyme.total += static_cast<int64_t>(groups.size());
  rhyme.hits += poem_group < 0 ? 0 : most;
}

void score_tones(const LineSounds& sounds, PoemScores::Share& tones) {
  const int form = static_cast<int>(sounds[0].size());
  int64_t best = 0, bound = 0;
  for (uint8_t second : {kLevelTone, kObliqueTone}) {
    for (bool first_line_rhymes : {false, true}) {
      const auto pattern = tonal_template(form, static_cast<int>(sounds.size()),
                                          TonalOpening{second, first_line_rhymes});
      int64_t matches = 0;
      bound = 0;
      for (size_t k = 0; k < sounds.size(); ++k) {
        for (int p = 0; p < form; ++p) {
          if (!is_bound_position(form, p)) continue;
          ++bound;
          const CharacterSound* sound = sounds[k][static_cast<size_t>(p)];
          matches += sound && (sound->tones & pattern[k][static_cast<size_t>(p)]);
        }
      }
      best = std::max(best, matches);
    }
  }
  tones.hits += best;
  tones.total += bound;
}

}  // namespace

PoemScores score_poems(const std::vector<std::u32string>& poems, const RhymeTable& table,
                       const PoemCopyIndex* copy_index) {
  PoemScores s;
  s.copying = copy_index != nullptr;
  std::unordered_set<std::u32string> bigrams;
  for (size_t n = 0; n < poems.size(); ++n) {
    const std::vector<VerseLine> lines = verse_lines(poems[n]);
    ++s.poems;
    const bool regular = is_regular(lines);
    s.form.hits += regular;
    ++s.form.total;
    const LineSounds sounds = find_line_sounds(lines, table);
    score_rhyme(sounds, s.rhyme);
    if (regular) score_tones(sounds, s.tones);

    std::set<char32_t> seen;
    std::set<std::u32string> seen_lines;
    for (const VerseLine& line : lines) {
      for (char32_t c : line.text) {
        if (!is_han(c)) continue;
        ++s.repeated_characters.total;
        s.repeated_characters.hits += !seen.insert(c).second;
      }
      ++s.repeated_lines.total;
      s.repeated_lines.hits += !seen_lines.insert(line.text).second;
      for (size_t i = 0; i + 1 < line.text.size(); ++i) {
        ++s.distinct_bigrams.total;
        s.distinct_bigrams.hits += bigrams.insert(line.text.substr(i, 2)).second;
      }
      if (copy_index) {
        ++s.copied_lines.total;
        s.copied_lines.hits += copy_index->has_line(line.text);
      }
    }
    if (copy_index) {
      const int longest = copy_index->longest_common_substring(poems[n]);
      s.longest_copy_sum += longest;
      if (longest > s.longest_copy) {
        s.longest_copy = longest;
        s.longest_copy_poem = static_cast<int64_t>(n) + 1;
      }
    }
  }
  return s;
}

std::vector<std::u32string> split_poems(std::string_view text, bool blocks, std::string_view what) {
  const std::u32string all = utf8::decode(text, what);
  std::vector<std::u32string> poems;
  std::u32string poem;
  auto finish = [&] {
    if (!poem.empty()) poems.push_back(std::move(poem));
    poem.clear();
  };
  size_t begin = 0;
  while (begin <= all.size()) {
    size_t end = all.find(U'\n', begin);
    if (end == std::u32string::npos) end = all.size();
    std::u32string line = all.substr(begin, end - begin);
    std::erase_if(line, [](char32_t c) {
      return c == U' ' || c == U'\t' || c == U'\r' || c == U'\u3000' || c == U'\uFEFF';
    });
    if (line.empty() || !blocks) finish();
    poem += line;
    if (!blocks) finish();
    begin = end + 1;
  }
  finish();
  return poems;
}

}  // namespace rnnkit
