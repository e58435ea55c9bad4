#include "rnnkit/rhyme_table.h"

#include <algorithm>

#include "generate/rhyme_data.h"
#include "rnnkit/error.h"
#include "rnnkit/utf8.h"

namespace rnnkit {
namespace {

std::vector<std::string_view> split(std::string_view line, char separator) {
  std::vector<std::string_view> fields;
  for (size_t start = 0;;) {
    const size_t end = line.find(separator, start);
    fields.push_back(line.substr(start, end - start));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

uint8_t tone_classes(std::string_view field) {
  if (field == "平") return kLevelTone;
  if (field == "仄") return kObliqueTone;
  if (field == "平仄") return kLevelTone | kObliqueTone;
  return 0;
}

}  // namespace

RhymeTable RhymeTable::parse(std::string_view text, std::string_view what) {
  RhymeTable table;
  size_t number = 0;
  for (std::string_view line : split(text, '\n')) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::string where = std::string(what) + " line " + std::to_string(number);
    if (line.front() == '#') {
      if (table.provenance_.empty()) table.provenance_ = line.substr(1);
      continue;
    }
    const std::vector<std::string_view> fields = split(line, '\t');
    if (fields.size() != 4)
      throw Error(where +
                  ": expected 4 tab-separated fields (character, reading, rhyme group, "
                  "tone), got " +
                  std::to_string(fields.size()));
    const std::u32string character = utf8::decode(fields[0], where);
    const uint8_t tones = tone_classes(fields[3]);
    if (character.size() != 1) throw Error(where + ": the first field is not one character");
    if (fields[2].empty()) throw Error(where + ": empty rhyme group");
    if (tones == 0)
      throw Error(where + ": the tone is \"" + std::string(fields[3]) + "\", not 平, 仄 or 平仄");
    auto group = std::find(table.group_names_.begin(), table.group_names_.end(), fields[2]);
    if (group == table.group_names_.end())
      group = table.group_names_.insert(group, std::string(fields[2]));
    // The first reading's tone: the tone digit ending the reading ("guang1").
    const char digit = fields[1].empty() ? '?' : fields[1].back();
    if (digit < '1' || digit > '4')
      throw Error(where + ": the reading \"" + std::string(fields[1]) +
                  "\" does not end with a tone number 1-4");
    const CharacterSound sound{static_cast<int>(group - table.group_names_.begin()),
                               digit <= '2' ? kLevelTone : kObliqueTone, tones};
    if (!(sound.tones & sound.rhyme_tone))
      throw Error(where + ": the tone does not include the first reading's");
    if (!table.sounds_.emplace(character[0], sound).second)
      throw Error(where + ": " + std::string(fields[0]) + " is listed twice");
  }
  return table;
}

const RhymeTable& RhymeTable::shipped() {
  static const RhymeTable table = parse(shipped_rhyme_data(), "models/tang_rhymes.tsv");
  return table;
}

const CharacterSound* RhymeTable::find(char32_t c) const {
  const auto it = sounds_.find(c);
  return it == sounds_.end() ? nullptr : &it->second;
}

}  // namespace rnnkit
